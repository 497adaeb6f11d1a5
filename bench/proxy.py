#!/usr/bin/env python3
"""Reads through the production topology: nginx (deploy/nginx.conf.template) caching in
front of gunicorn, next to the same reads straight from gunicorn and the bare-route ceiling;
and how long a write takes to be visible through nginx.

    .venv/bin/python bench/proxy.py [--seconds 5] [--writes 20]

SQLite with the seeds plus 100 synthetic events (bench/out/, shared with bench/run.py),
the same gunicorn settings and wrk connections as bench/run.py; prints one table. Then
``--writes`` curators' PATCHes through nginx while another client keeps reading the event
through nginx (so nginx fetches it again from whichever worker as soon as its copy is
stale): for each, the seconds until a read through nginx shows it, against the documented
bound (CACHE_MAX_AGE + CACHE_CHECK_SECONDS + 1 s, docs/operations.md).
Traffic goes only to 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as bench  # the benchmark's server, wrk and table helpers

EVENTS = 100
PATHS = (("first page", "/v1/events?limit=50"), ("event", "/v1/events/soyuz-ms-19-launch"))


def nginx_module() -> object:  # deploy/nginx.py is a script, not a package
    spec = importlib.util.spec_from_file_location("deploy_nginx",
                                                  bench.ROOT / "deploy" / "nginx.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def visibility(api: str, front: str, token: str, writes: int) -> list[float]:
    """Seconds from each write's answer to the first read through ``front`` showing it."""
    path, delays, stop = "/v1/events/soyuz-ms-19-docking", [], threading.Event()

    def title() -> str:
        return json.loads(bench.fetch(front + path)[2])["title"]

    def read() -> None:  # another reader: nginx's copy is fetched again once it is stale
        while not stop.wait(0.05):
            title()

    reader = threading.Thread(target=read)
    reader.start()
    auth = {"Authorization": f"Bearer {token}"}
    try:
        for n in range(writes):
            time.sleep(random.uniform(0, 5))  # at any point of nginx's copy's lifetime
            etag = bench.fetch(api + path, auth)[1]["ETag"]
            body = json.dumps({"title": f"Docked ({n})"}).encode()
            request = urllib.request.Request(front + path, body, method="PATCH", headers={
                **auth, "If-Match": etag, "Content-Type": "application/merge-patch+json"})
            urllib.request.urlopen(request, timeout=30).read()
            written = time.monotonic()
            while title() != f"Docked ({n})":
                if time.monotonic() - written > 30:
                    sys.exit(f"write {n} stayed invisible through nginx for 30 s")
                time.sleep(0.01)
            delays.append(time.monotonic() - written)
    finally:
        stop.set()
        reader.join()
    return delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5, help="wrk duration per row")
    parser.add_argument("--writes", type=int, default=20, help="writes whose visibility to time")
    args = parser.parse_args()
    if not shutil.which("wrk") or not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        sys.exit("wrk and nginx are needed: apt-get install wrk nginx")
    bench.OUT.mkdir(exist_ok=True)
    url = bench.database("sqlite", EVENTS, "")
    print("Data:", bench.build("sqlite", EVENTS, url, "", rebuild=False))
    ceiling = bench.ceiling("sqlite", EVENTS, url, args.seconds)
    results = [ceiling]
    env = {**os.environ, "DATABASE_URL": url, "PROXY_COUNT": "1", "LOG_LEVEL": "WARNING"}
    server = bench.Server("api:create_app()", env)
    prefix = Path(tempfile.mkdtemp(prefix="bench-nginx-"))
    proxy = nginx_module().Nginx(prefix, bench.free_port(), f"{bench.HOST}:{bench.PORT}")
    try:
        for name, path in PATHS:
            for label, base in (("gunicorn [cached]", bench.BASE),
                                ("through nginx (HIT)", f"http://{bench.HOST}:{proxy.port}")):
                result = bench.Result("sqlite", EVENTS, f"{name}, {label}")
                body = bench.fetch(base + path)[2]
                result.size, result.ceiling = len(body), ceiling
                results.append(bench.wrk(result, base + path, args.seconds, {}))
                if "nginx" in label:
                    cache = bench.fetch(base + path)[1].get("X-Cache-Status")
                    assert cache == "HIT", f"{path} through nginx: {cache}"
        token = bench.run([str(bench.BIN / "flask"), "--app", "api", "tokens", "create",
                           "--name", f"bench-{time.time_ns()}"], env).strip()
        delays = visibility(bench.BASE, f"http://{bench.HOST}:{proxy.port}", token,
                            args.writes) if args.writes else []
    finally:
        proxy.stop()
        server.stop()
        shutil.rmtree(prefix, ignore_errors=True)
    print(bench.table(results))
    print(f"Machine: {bench.machine()}; {bench.WORKERS} gunicorn workers, "
          f"{bench.CONNECTIONS} wrk connections, {args.seconds:g} s per row.")
    if delays:
        bound = float(os.environ.get("CACHE_MAX_AGE", 5)) + float(
            os.environ.get("CACHE_CHECK_SECONDS", 1)) + 1
        print(f"A write visible through nginx ({len(delays)} writes): p50 "
              f"{statistics.median(delays):.2f} s, max {max(delays):.2f} s "
              f"(documented bound {bound:g} s: {'within' if max(delays) <= bound else 'OVER'})")


if __name__ == "__main__":
    main()
