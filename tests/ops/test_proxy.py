"""The production topology on this machine: nginx (deploy/nginx.conf.template) as a
caching reverse proxy in front of gunicorn. A read is cached, revalidated with a 304 from
the API once stale, and a write through the proxy is visible within the documented bound
(the API's max-age, CACHE_MAX_AGE, plus CACHE_CHECK_SECONDS, one by default: nginx may
refetch its copy from a worker that has not noticed the write yet; plus up to a second:
nginx counts whole seconds)."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from support import free_port, require_program
from test_gunicorn import Server, get, load_deploy

ROOT = Path(__file__).resolve().parents[2]
MAX_AGE = 2  # CACHE_MAX_AGE in this test: the bound on a write's visibility
EVENT = "/v1/events/soyuz-ms-19-launch"
IMMUTABLE = "public, max-age=31536000, immutable"
pytestmark = pytest.mark.slow


@pytest.fixture
def topology(tmp_path: Path) -> Iterator[tuple[Server, Any]]:
    require_program("nginx", "nginx")
    server = Server(tmp_path, CACHE_MAX_AGE=str(MAX_AGE), PROXY_COUNT="1")
    try:
        proxy = load_deploy().Nginx(tmp_path / "nginx", free_port(), f"127.0.0.1:{server.port}")
    except RuntimeError:
        server.stop()
        raise
    yield server, proxy
    proxy.stop()
    server.stop()
    server.log.close()


def patch(port: int, path: str, body: dict, headers: dict[str, str]) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("PATCH", path, json.dumps(body), {"Content-Type": "application/json",
                                                       **headers})
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def upstream_statuses(server: Server, path: str) -> list[int]:
    return [entry["status"] for entry in map(json.loads, (
        line for line in server.output().splitlines()
        if line.startswith("{") and '"api.access"' in line)) if entry.get("path") == path]


def test_cached_read_revalidation_and_a_write_visible_within_max_age(
    topology: tuple[Server, Any],
) -> None:
    server, proxy = topology
    first = get(proxy.port, EVENT)
    assert first[0] == 200 and first[1]["X-Cache-Status"] == "MISS"
    assert f"max-age={MAX_AGE}" in first[1]["Cache-Control"]
    hit = get(proxy.port, EVENT)
    assert hit[1]["X-Cache-Status"] == "HIT" and hit[2] == first[2]
    assert hit[1]["ETag"] == first[1]["ETag"]
    assert upstream_statuses(server, EVENT) == [200]  # the hit never reached gunicorn

    time.sleep(MAX_AGE + 1.2)  # stale (nginx counts whole seconds): the next read revalidates
    again = get(proxy.port, EVENT)
    assert again[0] == 200 and again[1]["X-Cache-Status"] == "REVALIDATED"
    assert again[2] == first[2]
    assert upstream_statuses(server, EVENT) == [200, 304]  # no body sent the second time

    # A curator's write through the proxy: never cached, and visible within the bound.
    status, body = patch(proxy.port, EVENT, {"title": "Soyuz MS-19 lifts off with the crew"},
                         {**server.bearer(), "If-Match": again[1]["ETag"]})
    assert status == 200, body
    written = time.monotonic()
    while json.loads(get(proxy.port, EVENT)[2])["title"] != body["title"]:
        assert time.monotonic() - written < MAX_AGE + 1 + 1, "the write is not visible in time"
        time.sleep(0.1)


def fetch(port: int, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_a_repeated_memento_is_a_cache_hit_and_the_timegate_is_never_the_cached_original(
    topology: tuple[Server, Any],
) -> None:
    server, proxy = topology
    status, _, body = get(proxy.port, f"{EVENT}/timemap")
    assert status == 200
    (memento,) = json.loads(body)["items"]
    target = urlsplit(memento["url"])
    path = f"{target.path}?{target.query}"

    first = get(proxy.port, path)
    assert first[0] == 200 and first[1]["X-Cache-Status"] == "MISS"
    assert first[1]["Cache-Control"] == IMMUTABLE
    time.sleep(MAX_AGE + 1.2)  # any other read is stale by now: a memento is not
    again = get(proxy.port, path)
    assert again[0] == 200 and again[1]["X-Cache-Status"] == "HIT" and again[2] == first[2]
    assert again[1]["Memento-Datetime"] == memento["datetime"]
    assert upstream_statuses(server, EVENT) == [200]  # the API served the memento once

    plain = get(proxy.port, EVENT)
    assert plain[0] == 200 and "Accept-Datetime" in plain[1]["Vary"]
    assert get(proxy.port, EVENT)[1]["X-Cache-Status"] == "HIT"
    gate = fetch(proxy.port, EVENT, {"Accept-Datetime": memento["datetime"]})
    assert gate[0] == 302 and urlsplit(gate[1]["Location"]).query == target.query
    assert get(proxy.port, EVENT)[0] == 200
