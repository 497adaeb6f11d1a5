"""Database outages, for real: PostgreSQL reached through a TCP proxy the test cuts.

While the proxy is cut, new connections are accepted and then ignored (as a dead host or
a dropped route looks), existing ones are closed: the app must answer 503 problem+json
with Retry-After within a bounded time, /readyz must say so, /healthz must stay up, and
once the proxy forwards again the app must recover with no restart.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from support import skip_unless_postgresql
from tcpproxy import Proxy

from api import create_app
from api.extensions import dispose_engines
from api.http.deadlines import PROBE_EVERY

CONNECT_TIMEOUT = 1  # seconds; the app's DB_CONNECT_TIMEOUT in this test
BOUND = 4 * CONNECT_TIMEOUT  # no request may take longer than this during the outage
# Once the database answers again, a worker that found it silent notices within this: its
# next try (every PROBE_EVERY), after one still waiting for the outage (psycopg waits 2 s
# at least for a connection).
RECOVERY = PROBE_EVERY + 2 + 1


@pytest.fixture
def proxied(backend: str, request: pytest.FixtureRequest,
            ) -> Iterator[Callable[..., tuple[Flask, Proxy]]]:
    """Apps on the seeded PostgreSQL database, reached only through a proxy: call with
    settings to get ``(app, proxy)``."""
    if backend != "postgresql":
        skip_unless_postgresql("the outage test")
    seeded: Flask = request.getfixturevalue("seeded_app")
    url = sa.make_url(seeded.config["SQLALCHEMY_DATABASE_URI"])
    made: list[tuple[Flask, Proxy]] = []

    def make(**config: object) -> tuple[Flask, Proxy]:
        proxy = Proxy((url.host or "127.0.0.1", url.port or 5432))
        app = create_app({
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url.set(host="127.0.0.1", port=proxy.port)
            .render_as_string(hide_password=False),
            "DB_CONNECT_TIMEOUT": CONNECT_TIMEOUT,
            "RATELIMIT_ENABLED": True,  # as in production: its headers must not disturb a 503
            **config,
        })
        made.append((app, proxy))
        return app, proxy

    yield make
    for app, proxy in made:
        with app.app_context():
            dispose_engines()  # its probe of a silent database stops too
        proxy.close()
    gc.collect()  # a connection left open would warn here, in this test


@pytest.fixture
def proxied_app(proxied: Callable[..., tuple[Flask, Proxy]]) -> tuple[Flask, Proxy]:
    return proxied()


def timed_get(app: Flask, path: str) -> tuple[int, dict[str, str], dict, float]:
    start = time.monotonic()
    response = app.test_client().get(path)
    return (response.status_code, dict(response.headers), response.get_json(silent=True) or {},
            time.monotonic() - start)


def recovers(app: Flask, path: str) -> None:
    """``path`` answers 200 again within RECOVERY seconds."""
    deadline = time.monotonic() + RECOVERY
    while timed_get(app, path)[0] != 200:
        assert time.monotonic() < deadline, f"{path}: no recovery within {RECOVERY} s"
        time.sleep(0.1)


def test_outage_answers_503_quickly_and_recovers_by_itself(
    proxied_app: tuple[Flask, Proxy],
) -> None:
    app, proxy = proxied_app
    assert timed_get(app, "/v1/events?limit=2")[0] == 200
    assert timed_get(app, "/readyz")[0] == 200

    proxy.cut()
    # (URLs not read before: the response cache may answer those it holds without the database.)
    for path in ("/v1/events?limit=3", "/v1/people/does-not-matter", "/readyz"):
        status, headers, body, took = timed_get(app, path)
        assert status == 503, (path, status, body)
        assert headers["Content-Type"] == "application/problem+json"
        assert headers["Retry-After"] == str(app.config["DB_RETRY_AFTER"])
        assert body["status"] == 503 and "unreachable" in body["detail"]
        assert took < BOUND, f"{path} took {took:.1f}s while the database was away"
    status, _, body, took = timed_get(app, "/healthz")
    assert (status, body) == (200, {"status": "ok"}) and took < 0.5

    proxy.restore()
    recovers(app, "/v1/events?limit=3")
    recovers(app, "/readyz")
    assert timed_get(app, "/readyz")[2] == {"status": "ok", "checks": {"database": "ok"}}


def test_a_connection_idle_past_the_ping_time_is_checked_and_replaced(
    proxied: Callable[..., tuple[Flask, Proxy]],
) -> None:
    """The pool's connection died while idle (the proxy drops it, as a server restart or a
    firewall would): the next request pings it first, reconnects and answers 200."""
    app, proxy = proxied(DB_PING_AFTER_IDLE=0.05)
    assert timed_get(app, "/v1/events?limit=2")[0] == 200
    proxy.cut()
    proxy.restore()
    time.sleep(0.1)
    assert timed_get(app, "/v1/events?limit=4")[0] == 200


def test_a_connection_dying_while_busy_costs_one_503_then_recovers(
    proxied: Callable[..., tuple[Flask, Proxy]],
) -> None:
    """Busy connections are not pinged per request (DB_PING_AFTER_IDLE): one that dies
    between two requests fails the request that finds out, with the outage's 503, and
    the next request reconnects."""
    app, proxy = proxied(DB_PING_AFTER_IDLE=3600)
    assert timed_get(app, "/v1/events?limit=2")[0] == 200
    proxy.cut()
    proxy.restore()
    status, headers, body, _ = timed_get(app, "/v1/events?limit=4")
    assert (status, headers["Retry-After"]) == (503, str(app.config["DB_RETRY_AFTER"]))
    assert "unreachable" in body["detail"]
    assert timed_get(app, "/v1/events?limit=5")[0] == 200


def test_a_database_gone_once_the_answer_is_made_costs_no_500(
    proxied: Callable[..., tuple[Flask, Proxy]],
) -> None:
    """The connection dies once the answer is made: that answer stands (no 500 from the
    session's end), and requests after it recover. A read holds no transaction (autocommit
    on PostgreSQL), so nothing touches the dead connection as the request ends: the next
    request on it may answer 503, as after a database restart, and the pool reconnects."""
    app, proxy = proxied(DB_PING_AFTER_IDLE=3600)
    cutting = [True]

    @app.after_request
    def cut(response: Any) -> Any:  # the answer is made, the session still holds its connection
        if cutting[0]:
            proxy.cut()
            proxy.restore()
        return response

    status, _, body, _ = timed_get(app, "/v1/events?limit=2")
    assert status == 200 and len(body["items"]) == 2
    cutting[0] = False
    statuses = [timed_get(app, "/v1/events?limit=3")[0] for _ in range(2)]
    assert set(statuses) <= {200, 503} and statuses[-1] == 200, statuses
