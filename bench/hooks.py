#!/usr/bin/env python3
"""What each hook of the pipeline costs: in-process timings, no network, no gunicorn.

    .venv/bin/python bench/hooks.py [--database URL] [--requests 2000]

Calls the WSGI app directly (as gunicorn would, minus the socket) for the paths the
benchmark measures, and prints microseconds per request for each path and for each hook
on it: every ``before_request``/``after_request``/``teardown`` hook and signal receiver is
wrapped in a timer, and a cache hit's steps are timed by switching them off one at a time
(logging, metrics, rate limits). Use a database built by bench/run.py
(bench/out/bench-10000.sqlite by default). Figures are CPU time per request of one
process (best of 3 runs for whole requests, means for hooks), what a worker spends minus
the socket; still noisy on a shared machine: compare within a run.
"""

from __future__ import annotations

import argparse
import io
import logging
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

from flask import Flask, Response, request_finished, request_started
from werkzeug.test import EnvironBuilder

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api import create_app  # noqa: E402
from api.http import observability  # noqa: E402

PAGE = "/v1/events?limit=50"
TIMELINE = "/v1/missions/the-challenge/timelinejs"
COSTS: dict[str, float] = defaultdict(float)


def environ(path: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return EnvironBuilder(path=path, base_url="http://127.0.0.1:8000", headers=headers or {},
                          environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_environ()


def call(app: Any, env: dict[str, Any]) -> tuple[str, bytes]:
    status: list[str] = []
    body = b"".join(app(dict(env), lambda s, h, e=None: status.append(s)))
    return status[0], body


def per_request(app: Any, env: dict[str, Any], n: int) -> float:
    """Microseconds per request (best of 3 runs of ``n``)."""
    call(app, env)
    best = float("inf")
    for _ in range(3):  # CPU time of this process: less sensitive to a busy machine
        started = time.process_time()
        for _ in range(n):
            call(app, env)
        best = min(best, (time.process_time() - started) / n)
    return best * 1e6


def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            COSTS[name] += time.process_time() - started
    return wrapper


def _name(hook: Callable[..., Any]) -> str:
    """A hook's module and name (a callable object: its class's)."""
    return f"{hook.__module__}.{getattr(hook, '__qualname__', type(hook).__qualname__)}"


def instrument(app: Flask) -> None:
    """Wrap every hook and signal receiver of ``app`` in a timer named after it."""
    for table in (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs):
        for key, funcs in table.items():
            table[key] = [timed(_name(f), f) for f in funcs]
    for signal in (request_started, request_finished):
        for receiver in list(signal.receivers_for(app)):
            signal.disconnect(receiver, app)
            signal.connect(timed(f"{receiver.__module__}.{receiver.__qualname__}", receiver),
                           app, weak=False)
    view = app.view_functions
    for endpoint in ("events.Events", "formats.Timeline"):
        view[endpoint] = timed(f"view {endpoint} (arguments, queries, rendering)", view[endpoint])


def hook_table(app: Flask, env: dict[str, Any], n: int, label: str) -> list[str]:
    COSTS.clear()
    total = per_request(app.wsgi_app, env, n)
    runs = 3 * n + 1
    rows = [f"| {label} | whole request | {total:,.0f} |"]
    for name, seconds in sorted(COSTS.items(), key=lambda kv: -kv[1]):
        rows.append(f"| {label} | {name} | {seconds / runs * 1e6:,.1f} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default=f"sqlite:///{ROOT / 'bench/out/bench-10000.sqlite'}")
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    n = args.requests
    config = {"SQLALCHEMY_DATABASE_URI": args.database, "RATELIMIT_ENABLED": False}
    logging.getLogger().handlers.clear()
    sink = logging.StreamHandler(io.StringIO())  # the access log is written, to memory
    rows = ["| path | hook or step | µs per request |", "|---|---|---:|"]

    bare = Flask("bare")
    cached = create_app({**config, "CACHE_CHECK_SECONDS": 3600})
    cached.logger.handlers = [sink]
    body = call(cached.wsgi_app, environ(PAGE))[1]
    bare.add_url_rule("/", "page", lambda: Response(body, mimetype="application/json"))
    rows.append(f"| bare Flask route, same bytes (ceiling) | whole request | "
                f"{per_request(bare.wsgi_app, environ('/'), n):,.0f} |")

    etag = dict(cached.test_client().get(PAGE).headers)["ETag"]
    hit, not_modified = environ(PAGE), environ(PAGE, {"If-None-Match": etag})
    rows.append(f"| first page, cache hit | whole request | "
                f"{per_request(cached.wsgi_app, hit, n):,.0f} |")
    rows.append(f"| 304, cache hit | whole request | "
                f"{per_request(cached.wsgi_app, not_modified, n):,.0f} |")
    # A hit's steps, each switched off in turn.
    observability.ACCESS_LOG.setLevel(logging.WARNING)
    rows.append(f"| first page, cache hit | without the access log | "
                f"{per_request(cached.wsgi_app, hit, n):,.0f} |")
    observability.ACCESS_LOG.setLevel(logging.INFO)
    record = observability.record
    observability.record = lambda *a, **k: None  # type: ignore[assignment]
    rows.append(f"| first page, cache hit | without log and metrics | "
                f"{per_request(cached.wsgi_app, hit, n):,.0f} |")
    observability.record = record  # type: ignore[assignment]
    limited = create_app({**config, "CACHE_CHECK_SECONDS": 3600, "RATELIMIT_ENABLED": True,
                          "RATELIMIT_READ": "1000000000 per minute"})
    limited.logger.handlers = [sink]
    call(limited.wsgi_app, hit)
    rows.append(f"| first page, cache hit | with rate limits (memory) | "
                f"{per_request(limited.wsgi_app, hit, n):,.0f} |")

    uncached = create_app({**config, "RESPONSE_CACHE": False})
    uncached.logger.handlers = [sink]
    instrument(uncached)
    rows += hook_table(uncached, environ(PAGE), max(n // 4, 50), "first page, uncached")
    rows += hook_table(uncached, environ(TIMELINE), max(n // 10, 20), "TimelineJS, uncached")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
