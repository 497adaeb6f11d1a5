"""What a client sees from the cache: a hit is the miss's response, with its own request id,
rate-limit count, log line and metrics; Cache-Control says how long to trust it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support import assert_problem, bearer, make_app

from api.http.observability import JsonFormatter

PAGE = "/v1/events?limit=3"
PER_REQUEST = {"X-Request-ID", "Date"}


@pytest.fixture
def app(backend: str, tmp_path: Path) -> Iterator[Flask]:
    yield from make_app(backend, tmp_path, seeded=True, CACHE_CHECK_SECONDS=60)


def same_except_per_request(a: dict[str, str], b: dict[str, str]) -> None:
    assert {k: v for k, v in a.items() if k not in PER_REQUEST} == \
        {k: v for k, v in b.items() if k not in PER_REQUEST}


@pytest.mark.parametrize("headers", [{}, {"Origin": "https://news.example"}])
def test_a_hit_is_the_miss_with_a_new_request_id(client: FlaskClient,
                                                 headers: dict[str, str]) -> None:
    miss, hit = client.get(PAGE, headers=headers), client.get(PAGE, headers=headers)
    assert hit.get_data() == miss.get_data()
    same_except_per_request(dict(miss.headers), dict(hit.headers))
    assert hit.headers["X-Request-ID"] != miss.headers["X-Request-ID"]
    assert hit.headers["Content-Length"] == str(len(hit.get_data()))
    assert hit.headers["X-Frame-Options"] == "DENY" and "Link" in hit.headers
    assert hit.headers["Access-Control-Allow-Origin"] == "*"
    assert client.get(PAGE, headers={"X-Request-ID": "trace-7"}).headers["X-Request-ID"] == \
        "trace-7"


def test_304_from_the_cache_keeps_validators_and_hardening(client: FlaskClient) -> None:
    first = client.get(PAGE)
    response = client.get(PAGE, headers={"If-None-Match": first.headers["ETag"]})
    assert response.status_code == 304 and response.get_data() == b""
    for name in ("ETag", "Cache-Control", "Content-Security-Policy", "X-Content-Type-Options"):
        assert response.headers[name] == first.headers[name]
    assert "Content-Type" not in response.headers
    assert response.headers["X-Request-ID"] != first.headers["X-Request-ID"]


def test_head_of_a_hit_has_no_body(client: FlaskClient) -> None:
    body = client.get(PAGE).get_data()
    head = client.head(PAGE)
    assert head.status_code == 200 and head.get_data() == b""
    assert head.headers["Content-Length"] == str(len(body))


def test_cache_control_tells_how_long_to_trust_a_response(client: FlaskClient,
                                                          app: Flask) -> None:
    expected = (f"public, max-age={app.config['CACHE_MAX_AGE']}, "
                f"stale-while-revalidate={app.config['CACHE_STALE_SECONDS']}, "
                f"stale-if-error={app.config['CACHE_STALE_IF_ERROR']}")
    assert app.config["CACHE_MAX_AGE"] <= 10  # a worker notices writes within seconds
    assert client.get(PAGE).headers["Cache-Control"] == expected  # miss
    assert client.get(PAGE).headers["Cache-Control"] == expected  # hit
    assert client.get("/v1/events/soyuz-ms-19-launch").headers["Cache-Control"] == expected
    # Errors are never kept: the 404 must not hide the event created a second later.
    assert client.get("/v1/events/not-yet").headers["Cache-Control"] == "no-store"
    assert client.get("/v1/events?limit=0").headers["Cache-Control"] == "no-store"
    # Probes set their own.
    assert client.get("/healthz").headers["Cache-Control"] == "no-store"


def test_a_read_with_credentials_is_private(client: FlaskClient, app: Flask) -> None:
    response = client.get(PAGE, headers=bearer(app, "r"))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-cache"


def test_cache_control_is_configurable(backend: str, tmp_path: Path) -> None:
    for app in make_app(backend, tmp_path, seeded=True, CACHE_MAX_AGE=0, CACHE_STALE_SECONDS=0,
                        CACHE_STALE_IF_ERROR=0):
        assert app.test_client().get(PAGE).headers["Cache-Control"] == "public, max-age=0"


def test_hits_are_logged_and_counted(client: FlaskClient,
                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="api.access")
    client.get(PAGE)
    hit = client.get(PAGE, headers={"X-Request-ID": "hit-1"})
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records
             if r.name == "api.access"]
    assert len(lines) == 2  # the miss and the hit
    line = lines[1]
    assert line["request_id"] == "hit-1" == hit.headers["X-Request-ID"]
    assert line["endpoint"] == "events.Events" and line["status"] == 200
    assert line["path"] == "/v1/events" and line["bytes"] == len(hit.get_data())
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'http_requests_total{endpoint="events.Events",method="GET",status="200"}' in metrics


def test_rate_limits_count_hits(backend: str, tmp_path: Path) -> None:
    for app in make_app(backend, tmp_path, seeded=True, RATELIMIT_ENABLED=True,
                        RATELIMIT_READ="3 per minute",
                        RATELIMIT_KEY_PREFIX="test-" + uuid.uuid4().hex):
        client = app.test_client()
        for remaining in (2, 1, 0):  # a miss, then two hits
            response = client.get(PAGE, environ_base={"REMOTE_ADDR": "7.7.7.7"})
            assert response.status_code == 200
            assert response.headers["X-RateLimit-Limit"] == "3"
            assert response.headers["X-RateLimit-Remaining"] == str(remaining)
            assert int(response.headers["X-RateLimit-Reset"]) > 0
        refused = client.get(PAGE, environ_base={"REMOTE_ADDR": "7.7.7.7"})
        assert_problem(refused, 429)
        assert refused.headers["X-RateLimit-Remaining"] == "0"
        # Another client still has its budget, served from the cache.
        assert client.get(PAGE, environ_base={"REMOTE_ADDR": "8.8.8.8"}).status_code == 200


def test_hits_answer_each_allowed_origin_its_own(backend: str, tmp_path: Path) -> None:
    for app in make_app(backend, tmp_path, seeded=True,
                        CORS_ORIGINS="https://a.example,https://b.example"):
        client = app.test_client()
        for _ in range(2):  # a miss, then a hit, for each origin
            for origin in ("https://a.example", "https://b.example"):
                response = client.get(PAGE, headers={"Origin": origin})
                assert response.headers["Access-Control-Allow-Origin"] == origin
            stranger = client.get(PAGE, headers={"Origin": "https://c.example"})
            assert "Access-Control-Allow-Origin" not in stranger.headers


def test_documents_keep_their_etag_through_every_host_name(backend: str,
                                                           tmp_path: Path) -> None:
    """Pages and TimelineJS documents hash their memoised pieces: still one ETag whatever
    host name a client used, like every other representation; an unknown host is refused
    even when the cache holds the URL."""
    hosts = ("api.example.org", "eu.mirror.example.net")
    for app in make_app(backend, tmp_path, seeded=True, ALLOWED_HOSTS=hosts,
                        RESPONSE_CACHE=False):
        client = app.test_client()
        for url in (PAGE, "/v1/missions/the-challenge/timelinejs"):
            one, other = (client.get(url, headers={"Host": host}) for host in hosts)
            assert one.status_code == other.status_code == 200
            assert one.headers["ETag"] == other.headers["ETag"]
        pages = [client.get(PAGE, headers={"Host": host}).get_data() for host in hosts]
        assert pages[0] != pages[1]  # absolute links, one per host
    (tmp_path / "cached").mkdir()
    for app in make_app(backend, tmp_path / "cached", seeded=True, ALLOWED_HOSTS=hosts[:1]):
        client = app.test_client()
        assert client.get(PAGE, headers={"Host": hosts[0]}).status_code == 200
        assert client.get(PAGE, headers={"Host": "evil.example"}).status_code == 400
