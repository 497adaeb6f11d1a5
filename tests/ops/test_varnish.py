"""The shared cache purged by the change log: Varnish (deploy/varnish.vcl, with xkey) in
front of gunicorn, and ``flask purge`` following the log. A hit never reaches gunicorn,
a write purges exactly the responses it made stale, and is visible through the cache
within a second although the cache keeps responses for an hour."""

from __future__ import annotations

import importlib.util
import json
import os
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import free_port, require_program
from test_gunicorn import Server, get, load_deploy
from test_proxy import patch, upstream_statuses

ROOT = Path(__file__).resolve().parents[2]
A, B = "/v1/events/soyuz-ms-19-launch", "/v1/events/soyuz-ms-19-docking"
LIST = "/v1/events?type=launch"
pytestmark = pytest.mark.slow


def load_varnish() -> Any:
    spec = importlib.util.spec_from_file_location("deploy_varnish", ROOT / "deploy" / "varnish.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[Server, Any]]:
    require_program("varnishd", "varnish varnish-modules")
    # Behind a purging cache each worker checks the data version on every request.
    server = Server(tmp_path, CACHE_CHECK_SECONDS="0")
    started = []
    try:
        cache = load_varnish().Varnish(tmp_path / "varnish", free_port(),
                                       f"127.0.0.1:{server.port}")
        started.append(cache)
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{server.database}",
               "PURGE_POLL_SECONDS": "0.05"}
        log = tmp_path / "purge.log"
        purger = load_deploy().Child(
            [str(Path(sys.executable).with_name("flask")), "--app", "api", "purge", "--url",
             f"http://127.0.0.1:{cache.port}/"], log,
            lambda: "purging at" in log.read_text(), "flask purge", cwd=ROOT, env=env)
        started.append(purger)
        yield server, cache
    finally:
        for child in reversed(started):
            child.stop()
            child.log.close()
        server.stop()
        server.log.close()


def served_upstream(server: Server, path: str) -> list[int]:
    """The statuses gunicorn logged for ``path`` (its log line follows its answer)."""
    time.sleep(0.3)
    return upstream_statuses(server, path.split("?")[0])


def title(port: int, path: str) -> str:
    return json.loads(get(port, path)[2])["title"]


def test_hits_stay_out_of_python_and_a_write_purges_exactly_what_it_changed(
    stack: tuple[Server, Any],
) -> None:
    server, cache = stack
    for path in (A, B, LIST):
        miss, hit = get(cache.port, path), get(cache.port, path)
        assert miss[1]["X-Cache"] == "MISS" and hit[1]["X-Cache"] == "HIT"
        assert hit[2] == miss[2] and "Surrogate-Key" not in hit[1]
    for path in (A, B):
        assert served_upstream(server, path) == [200]  # the hits never reached gunicorn
    etag = get(server.port, A)[1]["ETag"]
    status, body = patch(cache.port, A, {"title": "Soyuz MS-19 leaves Baikonur"},
                         {**server.bearer(), "If-Match": etag})
    assert status == 200, body
    written = time.monotonic()
    while title(cache.port, A) != body["title"]:
        assert time.monotonic() - written < 1, "the write is not visible within a second"
        time.sleep(0.02)
    listed = json.loads(get(cache.port, LIST)[2])["items"]
    assert [e["title"] for e in listed] == [body["title"]]  # the list was purged too
    other = get(cache.port, B)
    assert other[1]["X-Cache"] == "HIT"  # an event the write did not touch stays cached
    assert served_upstream(server, B) == [200]


def test_writes_are_visible_through_the_cache_within_a_second_at_p99(
    stack: tuple[Server, Any],
) -> None:
    server, cache = stack
    auth = server.bearer()
    delays = []
    for n in range(100):
        path = (A, B)[n % 2]
        get(cache.port, path)  # cached before the write
        etag = get(server.port, path)[1]["ETag"]
        status, body = patch(cache.port, path, {"title": f"Title number {n}"},
                             {**auth, "If-Match": etag})
        assert status == 200, body
        written = time.monotonic()
        while title(cache.port, path) != body["title"]:
            assert time.monotonic() - written < 5, "a write stayed invisible"
            time.sleep(0.01)
        delays.append(time.monotonic() - written)
    p99 = statistics.quantiles(delays, n=100)[98]
    print(f"write to visible through the cache: p50 {statistics.median(delays):.3f} s, "
          f"p99 {p99:.3f} s over {len(delays)} writes")
    assert p99 < 1.0
