#!/usr/bin/env python3
"""Reads through the production topology: nginx (deploy/nginx.conf.template) caching in
front of gunicorn, next to the same reads straight from gunicorn and the bare-route ceiling.

    .venv/bin/python bench/proxy.py [--seconds 5]

SQLite with the seeds plus 100 synthetic events (bench/out/, shared with bench/run.py),
the same gunicorn settings and wrk connections as bench/run.py; prints one table.
Traffic goes only to 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import sys
import tempfile
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5, help="wrk duration per row")
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
    finally:
        proxy.stop()
        server.stop()
        shutil.rmtree(prefix, ignore_errors=True)
    print(bench.table(results))
    print(f"Machine: {bench.machine()}; {bench.WORKERS} gunicorn workers, "
          f"{bench.CONNECTIONS} wrk connections, {args.seconds:g} s per row.")


if __name__ == "__main__":
    main()
