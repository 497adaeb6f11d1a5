"""Per-client rate limits: reads and writes have their own budgets, 429 is a clean problem."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from support import assert_problem

from api import create_app
from api.http.faults import database_unavailable

REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


STORAGES = ["memory", pytest.param("redis", marks=pytest.mark.skipif(
    not redis_up(), reason="no Redis at 127.0.0.1:6379"))]


def limited_app(storage: str, **config: Any) -> Flask:
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": "sqlite://",
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_READ": "3 per minute",
        "RATELIMIT_WRITE": "2 per minute",
        "REDIS_URL": REDIS_URL if storage == "redis" else "",
        "RATELIMIT_KEY_PREFIX": "test-" + uuid.uuid4().hex,  # fresh counters
        **config,
    })
    app.add_url_rule("/v1/echo", "echo", lambda: {"ok": True}, methods=["POST", "DELETE"])
    app.add_url_rule("/v1/down", "down", database_unavailable)
    return app


@pytest.fixture(params=STORAGES)
def client(request: pytest.FixtureRequest) -> FlaskClient:
    return limited_app(request.param).test_client()


def test_reads_over_the_limit_get_429_problem(client: FlaskClient) -> None:
    for remaining in (2, 1, 0):
        response = client.get("/openapi.json", environ_base={"REMOTE_ADDR": "1.1.1.1"})
        assert response.status_code == 200
        assert response.headers["X-RateLimit-Limit"] == "3"
        assert response.headers["X-RateLimit-Remaining"] == str(remaining)
        assert int(response.headers["X-RateLimit-Reset"]) > 0
        assert "Retry-After" not in response.headers
    refused = client.get("/v1/events", environ_base={"REMOTE_ADDR": "1.1.1.1"})
    assert_problem(refused, 429, "Too many reads")
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    # Another client has its own budget.
    assert client.get("/openapi.json", environ_base={"REMOTE_ADDR": "2.2.2.2"}).status_code == 200


def test_writes_have_a_tighter_budget_of_their_own(client: FlaskClient) -> None:
    for _ in range(2):
        response = client.post("/v1/echo", json={}, environ_base={"REMOTE_ADDR": "3.3.3.3"})
        assert response.status_code == 200
        assert response.headers["X-RateLimit-Limit"] == "2"
    refused = client.delete("/v1/echo", environ_base={"REMOTE_ADDR": "3.3.3.3"})
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    # Reads still have their budget.
    assert client.get("/openapi.json", environ_base={"REMOTE_ADDR": "3.3.3.3"}).status_code == 200


def test_probes_and_metrics_are_never_limited(client: FlaskClient) -> None:
    for _ in range(6):
        for path in ("/healthz", "/metrics"):
            response = client.get(path, environ_base={"REMOTE_ADDR": "4.4.4.4"})
            assert response.status_code == 200 and "X-RateLimit-Limit" not in response.headers


def test_limits_can_be_switched_off() -> None:
    client = limited_app("memory", RATELIMIT_ENABLED=False).test_client()
    assert all(client.get("/openapi.json").status_code == 200 for _ in range(5))


def test_behind_a_proxy_the_client_is_the_forwarded_address() -> None:
    client = limited_app("memory", PROXY_COUNT=1).test_client()
    for _ in range(3):
        client.get("/openapi.json", headers={"X-Forwarded-For": "5.5.5.5"})
    assert client.get("/openapi.json", headers={"X-Forwarded-For": "5.5.5.5"}).status_code == 429
    assert client.get("/openapi.json", headers={"X-Forwarded-For": "6.6.6.6"}).status_code == 200


def test_redis_outage_does_not_take_the_api_down() -> None:
    client = limited_app("redis", REDIS_URL="redis://127.0.0.1:1/0").test_client()
    assert client.get("/openapi.json").status_code == 200


def test_a_503_keeps_its_own_retry_after(client: FlaskClient) -> None:
    response = client.get("/v1/down")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"  # DB_RETRY_AFTER, not the limit window
    assert response.headers["X-RateLimit-Limit"] == "3"
