"""Soak: gunicorn on 127.0.0.1 under wrk for a bounded time, sampling worker memory.

    .venv/bin/python bench/soak.py [--seconds 60] [--connections 64] [--workers 4]

Starts the API through boot.sh (SQLite, seeded; rate limits on, counted in Redis when
REDIS_URL is set, with a limit high enough not to refuse anything), runs wrk against a mix
of list, filter, detail and missing-resource URLs, samples every worker's RSS every few
seconds, and prints the figures as JSON. Traffic goes only to 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# wrk picks a URL per request from this list; 404s count as answered, not failed.
LUA = r"""
local paths = {"/v1/events?limit=20", "/v1/events?type=launch", "/v1/events?q=film&sort=-start",
  "/v1/events?from=2021-10&to=2021-10", "/v1/missions/the-challenge", "/v1/people?limit=5",
  "/v1/sources?limit=50", "/v1/events/soyuz-ms-19-launch", "/v1/events/nope", "/healthz"}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_kib(pid: int) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", text).group(1))


def worker_pids(master: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True,
                         text=True).stdout
    return sorted(int(pid) for pid in out.split())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--sample", type=float, default=5.0, help="seconds between RSS samples")
    args = parser.parse_args()
    args.seconds = min(args.seconds, 600)

    tmp = Path(tempfile.mkdtemp(prefix="soak-"))
    port = free_port()
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "DATABASE_URL": f"sqlite:///{tmp / 'soak.sqlite'}",
        "SEED_ON_START": "1",
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(args.workers),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp / "metrics"),
        "RATELIMIT_READ": "100000000 per minute",
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
        pids = worker_pids(server.pid)
        start_rss = {pid: rss_kib(pid) for pid in pids}
        script = tmp / "mix.lua"
        script.write_text(LUA)
        wrk = subprocess.Popen(
            ["wrk", "-t2", f"-c{args.connections}", f"-d{args.seconds}s", "--timeout", "10s",
             "--latency", "-s", str(script), base],
            stdout=subprocess.PIPE, text=True,
        )
        samples = []
        t0 = time.monotonic()
        while wrk.poll() is None:
            time.sleep(args.sample)
            alive = worker_pids(server.pid)
            samples.append({"t": round(time.monotonic() - t0),
                            "rss_mib": {p: round(rss_kib(p) / 1024, 1) for p in alive}})
        report = wrk.stdout.read()
        end_rss = {pid: rss_kib(pid) for pid in worker_pids(server.pid)}
        metrics = urllib.request.urlopen(base + "/metrics", timeout=5).read().decode()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        log.close()

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
            n for status, n in statuses.items() if status not in ("200", "404")),
        "same_workers": sorted(start_rss) == sorted(end_rss),
        "rss_start_mib": {p: round(v / 1024, 1) for p, v in start_rss.items()},
        "rss_end_mib": {p: round(v / 1024, 1) for p, v in end_rss.items()},
        "rss_samples": samples,
    }
    print(report)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
