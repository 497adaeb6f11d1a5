"""The snapshot's throughput and memory: ``GET /v1/snapshot`` read through gunicorn.

    .venv/bin/python bench/snapshot.py [--backend postgresql] [--events 1000000]
        [--pg-url URL] [--rebuild]

Builds (or reuses) the benchmark database of bench/run.py, serves it with gunicorn, reads
the whole snapshot once, and prints records per second and the growth of the serving
worker's resident memory during the stream (targets: >= 50,000 events/s on PostgreSQL,
RSS growth < 20 MB at 1,000,000 events). The client reads in large blocks and only counts
lines, so that it takes little of the CPU the server needs. A database built before
``flask synth`` kept revisions is served, but slowly (each event dumped): ``--rebuild``.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import OUT, Server, build, database
from sqlalchemy import make_url


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """The CPU time (user + system) process ``pid`` has used, 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def backends(url: str) -> list[int]:
    """The local PostgreSQL server's processes serving the database of ``url`` (their
    titles name it), none for SQLite or another machine's server."""
    name = f" {make_url(url).database} "
    found = []
    for entry in Path("/proc").iterdir():
        try:
            title = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if entry.name.isdigit() and title.startswith("postgres: ") and name in title:
            found.append(int(entry.name))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", default="postgresql")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--pg-url", default=os.environ.get(
        "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--rebuild", action="store_true", help="build the data anew")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    url = database(args.backend, args.events, args.pg_url)
    report = build(args.backend, args.events, url, args.pg_url, args.rebuild)
    print(f"{args.backend} {args.events:,}: {report}", flush=True)
    # A sync worker is killed after GUNICORN_TIMEOUT (30 s) even while it streams: on a busy
    # machine a million events take about that long.
    server = Server("api:create_app()", {**os.environ, "DATABASE_URL": url,
                                         "GUNICORN_TIMEOUT": "3600"})
    try:
        children = Path(f"/proc/{server.proc.pid}/task/{server.proc.pid}/children")
        workers = [int(pid) for pid in children.read_text().split()]
        before = {pid: rss_mb(pid) for pid in workers}
        peak = dict(before)
        done = threading.Event()

        def watch() -> None:
            while not done.is_set():
                for pid in workers:
                    peak[pid] = max(peak[pid], rss_mb(pid))
                time.sleep(0.05)

        watcher = threading.Thread(target=watch)
        watcher.start()
        cpu = {pid: cpu_seconds(pid) for pid in workers + backends(url)}
        started, lines, size = time.perf_counter(), 0, 0
        with urllib.request.urlopen(server.base + "/v1/snapshot", timeout=3600) as response:
            while block := response.read(1 << 20):
                lines, size = lines + block.count(b"\n"), size + len(block)
        took = time.perf_counter() - started
        app_cpu = max(cpu_seconds(pid) - cpu[pid] for pid in workers)
        db_cpu = sum(cpu_seconds(pid) - cpu.get(pid, 0.0) for pid in backends(url))
        done.set()
        watcher.join()
    finally:
        server.stop()
    growth = max(peak[pid] - before[pid] for pid in workers)
    records = lines - 1
    print(f"snapshot: {records:,} records ({size / 1e6:.0f} MB) in {took:.1f} s: "
          f"{records / took:,.0f} records/s; worker RSS growth {growth:.1f} MB "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    print(f"CPU per record: the worker {app_cpu / records * 1e6:.1f} µs"
          + (f", PostgreSQL {db_cpu / records * 1e6:.1f} µs" if db_cpu else ""))


if __name__ == "__main__":
    main()
