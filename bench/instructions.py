#!/usr/bin/env python3
"""Instructions per request, counted by valgrind: a figure the machine's pace cannot move.

    .venv/bin/python bench/instructions.py [--database URL] [--requests 200]

CPU time on a shared machine moves by a third from one run to the next; callgrind counts
the instructions a process executes, the same for the same code and data. For each path
(the bare Flask route serving the first page's bytes, the first page as a response-cache
hit and uncached, the uncached TimelineJS document) this runs the WSGI app in-process
under ``valgrind --tool=callgrind`` twice, with 0 and with N requests after the same
warm-up, and prints the difference / N.
Slow (about a minute per path, the two runs side by side): for comparing changes, not for
CI. The hash seed is fixed: with a random one the counts moved by a few percent from run
to run. Needs Debian's valgrind. SQLite by default (bench/out/bench-10000.sqlite, built by
bench/run.py); on PostgreSQL the server's own work is not counted.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# "hit:" a path answered by the response cache (filled by the warm-up); others uncached.
PATHS = ("bare", "hit:/v1/events?limit=50", "/v1/events?limit=50",
         "/v1/missions/the-challenge/timelinejs")


def serve(database: str, path: str, requests: int) -> None:
    """In the measured process: warm up, then ``requests`` requests of ``path``."""
    sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
    import io
    import logging

    from flask import Flask, Response
    from hooks import PAGE, call, environ

    from api import create_app

    hit, path = path.startswith("hit:"), path.removeprefix("hit:")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database, "RATELIMIT_ENABLED": False,
                      "RESPONSE_CACHE": hit})
    app.logger.handlers = [logging.StreamHandler(io.StringIO())]  # the log, to memory
    target, env = app.wsgi_app, environ(PAGE if path == "bare" else path)
    if path == "bare":
        body = call(app.wsgi_app, env)[1]
        bare = Flask("bare")
        bare.add_url_rule("/v1/events", "page", lambda: Response(body, mimetype="application/json"))
        target = bare.wsgi_app
    for _ in range(100 + requests):
        call(target, env)


def counted(database: str, path: str, requests: int) -> int:
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
         __file__, "--serve", path, "--database", database, "--requests", str(requests)],
        capture_output=True, text=True, check=True, cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": "0"})  # same dict and set layouts every run
    return int(re.search(r"Collected : (\d+)", done.stderr).group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default=f"sqlite:///{ROOT / 'bench/out/bench-10000.sqlite'}")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(args.database, args.serve, args.requests)
    if not shutil.which("valgrind"):
        sys.exit("valgrind is missing: apt-get install valgrind")
    print("| path | instructions per request |\n|---|---:|")
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for path in PATHS:
            base, more = pool.map(counted, [args.database] * 2, [path] * 2, (0, args.requests))
            name = ("bare Flask route, same bytes" if path == "bare"
                    else f"{path[4:]} (cache hit)" if path.startswith("hit:")
                    else f"{path} (uncached)")
            print(f"| {name} | {(more - base) // args.requests:,} |", flush=True)


if __name__ == "__main__":
    main()
