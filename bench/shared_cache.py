"""Reads through the shared cache: Varnish (deploy/varnish.vcl) purged by ``flask purge``.

    .venv/bin/python bench/shared_cache.py [--events 10000] [--writes 200] [--seconds 5]

Prints three figures (docs/performance.md, bench/RESULTS.md):

1. cache hits through Varnish against the bare Flask route (the same bytes, the same
   gunicorn settings), with wrk in one-second slices alternating with the route's;
2. how long a write takes to be visible through the cache (``--writes`` PATCHes through
   Varnish, each followed by reads until the new title shows), p50 and p99;
3. a replayed read-mostly mix (``--mix`` requests: reads spread over the lists, the
   mission's documents and every curated event, person and source; one request in
   ``--write-every`` a curator's edit) sent to the API directly and through the cache:
   how many requests reached the API each way.

Everything runs on 127.0.0.1, started and stopped here; loops are bounded.
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import (
    BIN,
    OUT,
    ROOT,
    Result,
    Server,
    build,
    ceiling_server,
    database,
    free_port,
    paired,
    run,
)


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "deploy" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(ROOT / "deploy"))
    spec.loader.exec_module(module)
    return module


def request(port: int, method: str, path: str, body: dict | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, json.dumps(body) if body else None, headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def visibility(api: int, cache: int, token: str, writes: int) -> list[float]:
    """Seconds from each write's answer to its first read through the cache showing it."""
    delays, paths = [], ["/v1/events/soyuz-ms-19-launch", "/v1/events/soyuz-ms-19-docking"]
    for n in range(writes):
        path = paths[n % 2]
        request(cache, "GET", path)  # cached before the write
        etag = request(api, "GET", path)[1]["ETag"]
        status, _, body = request(cache, "PATCH", path, {"title": f"Bench title {n}"}, {
            "Authorization": f"Bearer {token}", "If-Match": etag,
            "Content-Type": "application/json"})
        assert status == 200, body
        written = time.monotonic()
        while json.loads(request(cache, "GET", path)[2])["title"] != f"Bench title {n}":
            if time.monotonic() - written > 10:
                sys.exit(f"write {n} stayed invisible for 10 s")
            time.sleep(0.005)
        delays.append(time.monotonic() - written)
    return delays


def mix(port: int, api: int, token: str, count: int, write_every: int) -> tuple[int, int]:
    """Replay ``count`` requests (a fixed random sequence); returns how many the API saw
    (a MISS or a pass through the cache; every request when sent to the API directly),
    and how many of those were the first read of a URL (the cache starts empty)."""
    rnd = random.Random(11)
    reads = ["/v1/events", "/v1/events?limit=50", "/v1/events?type=launch",
             "/v1/missions/the-challenge/timelinejs", "/v1/missions/the-challenge/feed.json",
             "/v1/missions/the-challenge/calendar.ics", "/v1/people", "/v1/sources",
             "/v1/disputes"]
    for kind in ("events?mission=the-challenge&", "people?", "sources?"):
        listed = json.loads(request(api, "GET", f"/v1/{kind}limit=100")[2])["items"]
        reads += [f"/v1/{kind.split('?')[0]}/{item['id']}" for item in listed]
    origin, seen = 0, set()
    for n in range(count):
        if rnd.random() < 1 / write_every:
            path = "/v1/events/soyuz-ms-19-launch"
            etag = request(api, "GET", path)[1]["ETag"]
            request(port, "PATCH", path, {"title": f"Mix title {n}"}, {
                "Authorization": f"Bearer {token}", "If-Match": etag,
                "Content-Type": "application/json"})
            origin += 1
            continue
        path = rnd.choice(reads)
        seen.add(path)
        headers = request(port, "GET", path)[1]
        origin += headers.get("X-Cache", "MISS") != "HIT"
    return origin, len(seen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--writes", type=int, default=200)
    parser.add_argument("--mix", type=int, default=20_000)
    parser.add_argument("--write-every", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=5)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    url = database("sqlite", args.events, "")
    print(f"sqlite {args.events:,}: {build('sqlite', args.events, url, '', False)}", flush=True)
    env = {**os.environ, "DATABASE_URL": url}
    token = run([str(BIN / "flask"), "--app", "api", "tokens", "create", "--name",
                 f"bench-{time.time_ns()}"], env).strip()
    api_port, cache_port = free_port(), free_port()
    api = Server("api:create_app()", {**env, "CACHE_CHECK_SECONDS": "0"}, api_port)
    top, _ = ceiling_server(url)
    varnish = _load("varnish").Varnish(OUT / "varnish", cache_port, f"127.0.0.1:{api_port}")
    purger = subprocess.Popen([str(BIN / "flask"), "--app", "api", "purge", "--url",
                               f"http://127.0.0.1:{cache_port}/"], cwd=ROOT,
                              env={**env, "PURGE_POLL_SECONDS": "0.05"})
    try:
        time.sleep(2)
        hits = paired(Result("sqlite", args.events, "first page, cache hit through Varnish"),
                      f"http://127.0.0.1:{cache_port}/v1/events?limit=50", {}, top.base,
                      args.seconds)
        delays = visibility(api_port, cache_port, token, args.writes)
        direct, _ = mix(api_port, api_port, token, args.mix, args.write_every)
        cached, cold = mix(cache_port, api_port, token, args.mix, args.write_every)
    finally:
        purger.terminate()
        purger.wait(timeout=10)
        varnish.stop()
        top.stop()
        api.stop()
    p99 = statistics.quantiles(delays, n=100)[98]
    print(f"cache hits: {hits.rps:,.0f} req/s (p50 {hits.p50:.2f} ms, p99 {hits.p99:.2f} ms);"
          f" bare Flask route {hits.ceiling.rps:,.0f} req/s: {hits.ratio():.1f}x (target >= 20x)")
    print(f"write visible through the cache ({len(delays)} writes): "
          f"p50 {statistics.median(delays) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms "
          f"(target p99 <= 1000 ms)")
    print(f"read-mostly mix of {args.mix:,} requests (one write in {args.write_every}): "
          f"{direct:,} reached the API directly, "
          f"{cached:,} through the cache ({cold:,} of them first reads of a URL): "
          f"{direct / max(cached, 1):.1f}x fewer (target >= 20x)")


if __name__ == "__main__":
    main()
