"""Soak: gunicorn on 127.0.0.1 under wrk for a bounded time, sampling worker memory.

    .venv/bin/python bench/soak.py [--seconds 60] [--connections 64] [--workers 4]
                                   [--write-percent 5] [--database sqlite|postgresql]

Starts the API through boot.sh (seeded; SQLite in a temporary folder, or a schema of its
own in ``--postgres-url``'s database, dropped afterwards; rate limits on, counted in Redis
when REDIS_URL is set, with a limit high enough not to refuse anything), runs wrk against
a mix of list, filter, detail and missing-resource URLs, samples every worker's RSS every
few seconds, and prints the figures as JSON. Traffic goes only to 127.0.0.1 and stops by
itself.

Writes: ``--write-percent`` of the requests (5 by default) are curators' POSTs of new events
(with a token made for the run). Every one wrk saw answered 201 is read back afterwards,
and any that cannot be is a lost write; and as wrk stops at the end of its window without
reading the answers still on their way, the server's own count of 201s (its metrics) must
equal the soak's events in the database. The verdict: 0 failed requests (socket errors,
5xx, 429), 0 lost writes, and flat memory (no worker grows by more than ``--max-growth`` MiB
between the first and last sample).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "deploy"))  # deploy/ holds scripts, not a package
from nginx import free_port  # noqa: E402

sys.path.insert(0, str(ROOT))
from api.config import database_url  # noqa: E402

# wrk picks a URL per request from this list; 404s count as answered, not failed.
LUA = r"""
local paths = {"/v1/events?limit=20", "/v1/events?type=launch", "/v1/events?q=film&sort=-start",
  "/v1/events?from=2021-10&to=2021-10", "/v1/missions/the-challenge", "/v1/people?limit=5",
  "/v1/sources?limit=50", "/v1/events/soyuz-ms-19-launch", "/v1/events/nope", "/healthz"}
local threads, count = {}, 0
function setup(thread)
  count = count + 1
  thread:set("tid", count)
  table.insert(threads, thread)
end
function init(args)
  i, created = 0, ""
end
local every = math.floor(100 / WRITE_PERCENT + 0.5)
local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer TOKEN"}
local body = [[{"id": "%s", "mission": "the-challenge", "type": "training",
  "status": "occurred", "title": "Soak write %s", "summary": "Written by bench/soak.py.",
  "start": {"date": "2021-10-05"}, "citations": [{"source": "004_ba6c03b084f54831",
  "quote": "Soyuz MS-19", "supports": ["title"]}]}]]
request = function()
  i = i + 1
  if WRITE_PERCENT > 0 and i % every == 0 then
    local id = "soak-" .. tid .. "-" .. i
    return wrk.format("POST", "/v1/events", headers, string.format(body, id, id))
  end
  return wrk.format("GET", paths[(i % #paths) + 1])
end
response = function(status, headers, body)
  if status == 201 then created = created .. (headers["Location"] or "?") .. "\n" end
end
done = function(summary, latency, requests)
  for _, thread in ipairs(threads) do io.write("CREATED\n" .. thread:get("created")) end
end
"""


def rss_kib(pid: int) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", text).group(1))


def worker_pids(master: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True,
                         text=True).stdout
    return sorted(int(pid) for pid in out.split())


def read_status(base: str, url: str) -> int:
    """The status of a GET of ``url`` (absolute, or a path under ``base``)."""
    try:
        with urllib.request.urlopen(url if url.startswith("http") else base + url,
                                    timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def database(args: argparse.Namespace, tmp: Path) -> tuple[str, sa.Engine]:
    """The soak's DATABASE_URL, and an engine on it for the checks (and the cleanup)."""
    if args.database == "sqlite":
        url = f"sqlite:///{tmp / 'soak.sqlite'}"
        return url, sa.create_engine(url)
    schema = f"soak_{os.getpid()}"
    with sa.create_engine(database_url(args.postgres_url)).begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    url = f"{args.postgres_url}?options=-csearch_path%3D{schema}"
    return url, sa.create_engine(database_url(url))


def drop(args: argparse.Namespace, engine: sa.Engine) -> None:
    engine.dispose()
    if args.database == "postgresql":
        with sa.create_engine(database_url(args.postgres_url)).begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA soak_{os.getpid()} CASCADE")


def posts_answered(metrics: str) -> int:
    """POSTs of events the server answered 201, by its own count (every worker's)."""
    return int(sum(float(n) for n in re.findall(
        r'http_requests_total\{(?=[^}]*method="POST")(?=[^}]*endpoint="events.Events")'
        r'(?=[^}]*status="201")[^}]*\} (\S+)', metrics)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--sample", type=float, default=5.0, help="seconds between RSS samples")
    parser.add_argument("--write-percent", type=int, default=5)
    parser.add_argument("--max-growth", type=float, default=10.0,
                        help="MiB a worker may grow by between the first and last sample")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--postgres-url", default=os.environ.get(
        "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    args.seconds = min(args.seconds, 600)

    tmp = Path(tempfile.mkdtemp(prefix="soak-"))
    port = free_port()
    url, engine = database(args, tmp)
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "DATABASE_URL": url,
        "SEED_ON_START": "1",
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(args.workers),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp / "metrics"),
        "RATELIMIT_READ": "100000000 per minute",
        "RATELIMIT_WRITE": "100000000 per minute",
        # Like the rate limits, the bound on writes under way at once (api/http/slots.py)
        # is out of the way: a write it sheds (503) is by design, not a failure to find.
        "WRITE_SLOTS": str(args.workers),
        "LOG_LEVEL": "WARNING",
    }
    log = (tmp / "server.log").open("w")
    server = subprocess.Popen(["./boot.sh"], cwd=ROOT, env=env, stdout=log,
                              stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                if len(worker_pids(server.pid)) == args.workers:
                    break
            except OSError:
                pass
            time.sleep(0.3)
        for _ in range(200):  # warm every worker up before the first sample
            urllib.request.urlopen(base + "/v1/events?limit=20", timeout=5).read()
        token = subprocess.run(
            [str(Path(sys.executable).with_name("flask")), "--app", "api", "tokens", "create",
             "--name", "soak"], cwd=ROOT, env=env, capture_output=True, text=True, check=True,
        ).stdout.strip()
        pids = worker_pids(server.pid)
        start_rss = {pid: rss_kib(pid) for pid in pids}
        script = tmp / "mix.lua"
        script.write_text(LUA.replace("WRITE_PERCENT", str(args.write_percent))
                          .replace("TOKEN", token))
        # wrk's report goes to a file: it writes every created URL at the end, and a pipe
        # nobody reads while the samples are taken would fill and stop it for good.
        output = (tmp / "wrk.out").open("w+")
        wrk = subprocess.Popen(
            ["wrk", "-t2", f"-c{args.connections}", f"-d{args.seconds}s", "--timeout", "10s",
             "--latency", "-s", str(script), base],
            stdout=output, text=True,
        )
        samples = []
        t0 = time.monotonic()
        while wrk.poll() is None:
            time.sleep(args.sample)
            alive = worker_pids(server.pid)
            samples.append({"t": round(time.monotonic() - t0),
                            "rss_mib": {p: round(rss_kib(p) / 1024, 1) for p in alive}})
        output.seek(0)
        report = output.read()
        output.close()
        end_rss = {pid: rss_kib(pid) for pid in worker_pids(server.pid)}
        created = [line for line in report.split("CREATED\n", 1)[-1].splitlines()
                   if line.startswith(("http", "/"))] if "CREATED" in report else []
        report = report.split("CREATED\n", 1)[0]
        lost = [url for url in created if read_status(base, url) != 200]
        metrics = urllib.request.urlopen(base + "/metrics", timeout=5).read().decode()
        with engine.connect() as conn:
            stored = conn.scalar(sa.text("SELECT count(*) FROM events WHERE id LIKE 'soak-%'"))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        log.close()
        drop(args, engine)

    requests = int(re.search(r"(\d+) requests in", report).group(1))
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                       report)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", report)
    statuses: dict[str, float] = {}
    for status, count in re.findall(r'http_requests_total\{[^}]*status="(\d+)"[^}]*\} (\S+)',
                                    metrics):
        statuses[status] = statuses.get(status, 0) + float(count)
    figures = {
        "seconds": args.seconds,
        "connections": args.connections,
        "workers": args.workers,
        "requests": requests,
        "requests_per_second": float(re.search(r"Requests/sec:\s+(\S+)", report).group(1)),
        "latency": dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)", report, re.MULTILINE)),
        "socket_errors": sum(int(g) for g in errors.groups()) if errors else 0,
        "non_2xx_3xx": int(non_2xx.group(1)) if non_2xx else 0,  # the 404 URL counts here
        "statuses_served": statuses,  # every request, warm-up included
        "failed": (sum(int(g) for g in errors.groups()) if errors else 0) + sum(
            n for status, n in statuses.items() if status not in ("200", "201", "304", "404")),
        "database": args.database,
        "writes_201": len(created),  # as wrk saw them, within its window
        "writes_201_server": posts_answered(metrics),  # every one the server answered
        "writes_stored": stored,
        "lost_writes": len(lost) + max(0, posts_answered(metrics) - stored),
        "same_workers": sorted(start_rss) == sorted(end_rss),
        "rss_start_mib": {p: round(v / 1024, 1) for p, v in start_rss.items()},
        "rss_end_mib": {p: round(v / 1024, 1) for p, v in end_rss.items()},
        "rss_samples": samples,
    }
    first, last = samples[0]["rss_mib"], samples[-1]["rss_mib"]
    growth = max((last[p] - first[p] for p in last if p in first), default=0.0)
    figures["rss_growth_mib_first_to_last_sample"] = round(growth, 1)
    figures["verdict"] = {"no_failed_request": figures["failed"] == 0,
                          "no_lost_write": figures["lost_writes"] == 0 and (
                              len(created) > 0) == (args.write_percent > 0),
                          "flat_memory": growth <= args.max_growth and figures["same_workers"]}
    print(report)
    print(json.dumps(figures, indent=2))
    if not all(figures["verdict"].values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
