"""The snapshot's throughput and memory: ``GET /v1/snapshot`` read through gunicorn.

    .venv/bin/python bench/snapshot.py [--backend postgresql] [--events 1000000]

Builds (or reuses) the benchmark database of bench/run.py, serves it with gunicorn, reads
the whole snapshot once, and prints records per second and the growth of the serving
worker's resident memory during the stream (targets: >= 50,000 events/s on PostgreSQL,
RSS growth < 20 MB at 1,000,000 events).
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


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", default="postgresql")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--pg-url", default=os.environ.get(
        "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    url = database(args.backend, args.events, args.pg_url)
    report = build(args.backend, args.events, url, args.pg_url, False)
    print(f"{args.backend} {args.events:,}: {report}", flush=True)
    server = Server("api:create_app()", {**os.environ, "DATABASE_URL": url})
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
        started, lines, size = time.perf_counter(), 0, 0
        with urllib.request.urlopen(server.base + "/v1/snapshot", timeout=3600) as response:
            for line in response:
                lines, size = lines + 1, size + len(line)
        took = time.perf_counter() - started
        done.set()
        watcher.join()
    finally:
        server.stop()
    growth = max(peak[pid] - before[pid] for pid in workers)
    records = lines - 1
    print(f"snapshot: {records:,} records ({size / 1e6:.0f} MB) in {took:.1f} s: "
          f"{records / took:,.0f} records/s; worker RSS growth {growth:.1f} MB")


if __name__ == "__main__":
    main()
