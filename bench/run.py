#!/usr/bin/env python3
"""The benchmark: the API under gunicorn (2 workers) driven by wrk, on SQLite and PostgreSQL.

    .venv/bin/python bench/run.py            # 100, 10,000 and 1,000,000 events; both DBs
    .venv/bin/python bench/run.py --smoke    # seconds: 100 events, 1 s per endpoint, SQLite

For each database and size it loads the curated seeds plus N synthetic events
(``flask synth``), starts gunicorn on 127.0.0.1 twice (response cache on, then off, which
is the cold path every request takes right after a write), runs wrk against each endpoint
for a bounded time, and prints one table with every figure also as a ratio to the framework
ceiling: a bare Flask route (bench/ceiling.py) under the same gunicorn settings serving the
same bytes as the first page, served beside the API and measured in one-second slices that
alternate with each endpoint's (harness.paired), so every ratio compares the same
moments of a machine whose pace drifts. Databases are kept in bench/out/ and reused
unless --rebuild.
Servers, wrk, databases and the ceiling are in bench/harness.py; this file is the CLI,
the endpoints measured (``endpoints``) and the targets.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time

from harness import (
    BASE,
    OUT,
    ROOT,
    Result,
    Server,
    build,
    ceiling_server,
    database,
    fetch,
    machine,
    paired,
    table,
    wrk,
)

SEARCH = "mission control"  # two mid-frequency words of the synthetic vocabulary
COMMON = "launch"  # the commonest word of the synthetic vocabulary: matches most events
MISSION = "the-challenge"
# The first synthetic mission: every event at 100 and 10,000 events, 10,000 of 1,000,000
# (`flask synth` makes one mission per 10,000 events).
SYNTH_MISSION = "synth-0000"


def endpoints(url: str, events: int) -> list[tuple[str, str, dict[str, str]]]:
    """(name, path, headers) of every endpoint measured, found in this database."""
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import select

    from api import create_app
    from api.extensions import db, dispose_engines
    from api.models import Event
    from api.queries import SORT_KEYS
    from api.queries.pagination import encode_cursor

    # No statement timeout: counting a million rows not yet in the page cache can take
    # longer than the app's default.
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "DB_STATEMENT_TIMEOUT": 0})
    with app.app_context():
        total = db.session.scalar(select(db.func.count()).select_from(Event))
        near_end = db.session.execute(
            select(*SORT_KEYS).order_by(*SORT_KEYS)
            .offset(max(0, total - 60)).limit(1)).one()
        some_event = db.session.scalar(select(Event.id).order_by(Event.id)
                                       .offset(total // 2).limit(1))
        dispose_engines()
    cursor = encode_cursor(list(near_end), descending=False)
    query = SEARCH.replace(" ", "+")
    return [
        ("first page", "/v1/events?limit=50", {}),
        ("first page + Origin (CORS)", "/v1/events?limit=50", {"Origin": "https://example.org"}),
        ("first page, If-None-Match (304)", "/v1/events?limit=50", {"If-None-Match": "ETAG"}),
        ("deep page (cursor)", f"/v1/events?limit=50&cursor={cursor}", {}),
        ("event", f"/v1/events/{some_event}", {}),
        ("event, If-None-Match (304)", f"/v1/events/{some_event}", {"If-None-Match": "ETAG"}),
        (f"search q={query}", f"/v1/events?limit=50&q={query}", {}),
        (f"search q={query} by start", f"/v1/events?limit=50&q={query}&sort=start", {}),
        (f"search q={query} + count", f"/v1/events?limit=50&q={query}&count=true", {}),
        (f"search q={COMMON} (common word)", f"/v1/events?limit=50&q={COMMON}", {}),
        (f"search q={COMMON} by title", f"/v1/events?limit=50&q={COMMON}&sort=title", {}),
        ("count of all events (count=true)", "/v1/events?limit=50&count=true", {}),
        ("deep page (cursor) + count", f"/v1/events?limit=50&count=true&cursor={cursor}", {}),
        ("compact page (view=compact)", "/v1/events?limit=50&view=compact", {}),
        ("facets type,status on a mission (indexed filter)",
         f"/v1/events?limit=50&mission={SYNTH_MISSION}&facets=type,status", {}),
        ("facets status on type=launch (indexed filter)",
         "/v1/events?limit=50&type=launch&facets=status", {}),
        ("facets type,status,person,tag (all events)",
         "/v1/events?limit=50&facets=type,status,person,tag", {}),
        ("TimelineJS of mission", f"/v1/missions/{MISSION}/timelinejs", {}),
    ]


def measure(backend: str, events: int, url: str, seconds: float, cached: bool,
            rss: dict[tuple[str, int, bool], float], only: list[str] | None = None,
            ceiling_base: str | None = None) -> list[Result]:
    """wrk of every endpoint (of ``only``'s) with the response cache on or off; with
    ``ceiling_base``, interleaved with the ceiling (harness.paired)."""
    env = {**os.environ, "DATABASE_URL": url, "RESPONSE_CACHE": "1" if cached else "0"}
    mode = "cached" if cached else "uncached"
    server = Server("api:create_app()", env)
    results = []
    try:
        for name, path, headers in endpoints(url, events):
            if not cached and ("304" in name or "CORS" in name):
                continue
            if only and not any(word in name for word in only):
                continue
            result = Result(backend, events, f"{name} [{mode}]")
            try:
                status, got, body = fetch(BASE + path)
            except TimeoutError:  # printed as n/a, said so: facets of all 1,000,000 events
                result.name = f"{name} (over 30 s: not measured) [{mode}]"
                results.append(result)
                continue
            if status == 404 and "timelinejs" in path:
                results.append(result)  # not built yet: printed as n/a
                continue
            if status != 200:
                sys.exit(f"GET {path}: {status} {body[:300]!r}")
            if "If-None-Match" in headers:
                headers = {"If-None-Match": got["ETag"]}
                status, _, body = fetch(BASE + path, headers)
                assert status == 304, status
            result.size = len(body)
            results.append(paired(result, BASE + path, headers, ceiling_base, seconds)
                           if ceiling_base else wrk(result, BASE + path, seconds, headers))
        rss[(backend, events, cached)] = server.worker_rss_mb()
    finally:
        server.stop()
    return results


# Issue 22's floors: ratios to the ceiling, at the smallest and largest size of the run.
TARGETS = (("first page [cached]", 0.7),
           ("first page [uncached]", 0.3),
           ("TimelineJS of mission [uncached]", 0.25))


def verdicts(results: list[Result], rss: dict, sizes: list[int]) -> list[str]:
    """Each target, as measured in this run."""
    def find(backend: str, events: int, name: str) -> Result | None:
        return next((r for r in results if r.backend == backend and r.events == events
                     and r.name.startswith(name)), None)

    out = []

    def check(label: str, ok: bool, figure: str) -> None:
        out.append(f"- {'PASS' if ok else 'FAIL'}: {label}: {figure}")

    def p99_under(backend: str, events: int, part: str, ms: float) -> None:
        """Issues 22 (search) and 24 (facets): the uncached rows whose name holds ``part``."""
        for r in results:
            if (r.backend, r.events) == (backend, events) and part in r.name \
                    and r.name.endswith("[uncached]") \
                    and r.p99 is not None:
                check(f"{backend} {r.name} at {events:,} events p99 < {ms:g} ms",
                      r.p99 < ms, f"{r.p99:.2f} ms")

    small, large = min(sizes), max(sizes)
    for backend in sorted({r.backend for r in results}):
        p99_under(backend, large, "search q=" + SEARCH.replace(" ", "+") + " [", 50)
        p99_under(backend, large, "(indexed filter) [", 50)  # facets
        for events in sorted({small, large}):
            for name, target in TARGETS:
                r = find(backend, events, name)
                if r is None or r.rps is None or r.ceiling is None:
                    continue
                check(f"{backend} {events:,} {name} ≥ {target}x ceiling", r.ratio() >= target,
                      f"{r.ratio():.2f}x")
        if large != small:
            for name in ("first page [uncached]", "deep page (cursor) [uncached]"):
                a, b = find(backend, small, name), find(backend, large, name)
                if a is None or b is None:
                    continue
                check(f"{backend} {name} p50 at {large:,} within 1.25x of {small:,}",
                      b.p50 <= 1.25 * a.p50, f"{b.p50:.2f} ms vs {a.p50:.2f} ms "
                      f"({b.p50 / a.p50:.2f}x)")
        worst = max(v for (b, e, _), v in rss.items() if b == backend and e == large)
        check(f"{backend} worker RSS at {large:,} events < 100 MB", worst < 100,
              f"{worst:.0f} MB")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true",
                        help="seconds: 100 events, 1 s per endpoint, SQLite only")
    parser.add_argument("--sizes", default="100,10000,1000000")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--seconds", type=float, default=5, help="wrk duration per endpoint")
    parser.add_argument("--pg-url", default=os.environ.get(
        "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--rebuild", action="store_true", help="regenerate the databases")
    parser.add_argument("--only", help="comma-separated words: measure only the endpoints "
                        "whose name holds one of them (no ceiling: no verdict on a ratio)")
    args = parser.parse_args()
    only = args.only.split(",") if args.only else None
    if args.smoke:
        args.sizes, args.backends, args.seconds = "100", "sqlite", 1
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")
    sizes = [int(s) for s in args.sizes.split(",")]
    OUT.mkdir(exist_ok=True)
    results: list[Result] = []
    rss: dict[tuple[str, int, bool], float] = {}
    for backend in args.backends.split(","):
        for events in sizes:
            url = database(backend, events, args.pg_url)
            started = time.perf_counter()
            report = build(backend, events, url, args.pg_url, args.rebuild or args.smoke)
            print(f"{backend} {events:,}: {report} [{time.perf_counter() - started:.0f} s "
                  "with seed and migrations]", flush=True)
            if only:
                for cached in (True, False):
                    results += measure(backend, events, url, args.seconds, cached, rss, only)
                continue
            # The ceiling serves beside the API, and every row's wrk seconds alternate
            # with as many of the ceiling's: each ratio compares the same moments.
            top_server, size = ceiling_server(url)
            block = []
            try:
                for cached in (True, False):
                    block += measure(backend, events, url, args.seconds, cached, rss,
                                     ceiling_base=top_server.base)
            finally:
                top_server.stop()
            measured = [r for r in block if r.ceiling]
            top = Result.mean("bare Flask route (ceiling, all its slices)",
                              [r.ceiling for r in measured])
            top.backend, top.events, top.size = backend, events, size
            top.ceiling = top
            results += [top, *block]
    print()
    print(table(results))
    print()
    print("Worker RSS after the run (max of the 2 workers): " + ", ".join(
        f"{b} {e:,} {'cached' if c else 'uncached'} {v:.0f} MB" for (b, e, c), v in rss.items()))
    print()
    print("\n".join(verdicts(results, rss, sizes)))
    print()
    print("Machine: " + machine())


if __name__ == "__main__":
    main()
