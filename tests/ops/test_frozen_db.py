"""A frozen PostgreSQL (it accepts connections and never answers, as a stopped server or a
hung disk looks) costs a 503 within a bounded time, never a hung worker; a lock held by
another transaction costs a writer a 503 after a brief wait (on SQLite too)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from support import POSTGRES_URL, assert_problem, bearer, make_app, skip_unless_postgresql
from test_degradation import within
from test_faults import CONNECT_TIMEOUT, Proxy, proxied, timed_get  # noqa: F401

from api.extensions import db

STATEMENT_TIMEOUT = 500  # ms: DB_STATEMENT_TIMEOUT in these tests
# The most a request may wait on a frozen database: the server's own statement timeout
# (which a stopped server never applies), then the connect timeout, and some slack.
BOUND = STATEMENT_TIMEOUT / 1000 + CONNECT_TIMEOUT + 1.5


def test_a_frozen_database_is_a_503_within_the_timeout_and_recovers(
    proxied: Callable[..., tuple[Flask, Proxy]],  # noqa: F811
) -> None:
    app, proxy = proxied(DB_STATEMENT_TIMEOUT=STATEMENT_TIMEOUT, DB_PING_AFTER_IDLE=3600)
    assert timed_get(app, "/v1/events?limit=2")[0] == 200
    assert timed_get(app, "/readyz")[0] == 200
    proxy.freeze()  # the pooled connections stay open and go silent
    for path in ("/v1/events?limit=3", "/v1/people/does-not-matter", "/readyz",
                 "/v1/events?limit=4"):
        status, headers, body, took = within(30, lambda p=path: timed_get(app, p))
        assert status == 503, (path, status, body)
        assert headers["Retry-After"] == str(app.config["DB_RETRY_AFTER"])
        assert headers["Content-Type"] == "application/problem+json"
        assert took < BOUND, f"{path} took {took:.1f}s on a frozen database"
    status, _, _, took = timed_get(app, "/healthz")
    assert status == 200 and took < 0.5

    proxy.restore()
    deadline = time.monotonic() + 10
    while timed_get(app, "/v1/events?limit=5")[0] != 200:
        assert time.monotonic() < deadline, "no recovery after the database thawed"
        time.sleep(0.2)


PERSON = "/v1/people/klim-shipenko"


def test_a_held_lock_costs_a_writer_a_brief_wait_then_a_503(backend: str, tmp_path: Path) -> None:
    made = make_app(backend, tmp_path, seeded=True, DB_LOCK_TIMEOUT=300)
    app = next(made)
    writer = bearer(app)
    client = app.test_client()
    etag = client.get(PERSON).headers["ETag"]
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if backend == "sqlite":  # another writer holds the whole file
        holder = sqlite3.connect(sa.make_url(url).database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
    else:  # another transaction holds the person's row
        holder = sa.create_engine(url).connect()
        holder.exec_driver_sql("SELECT 1 FROM people WHERE id = 'klim-shipenko' FOR UPDATE")
    try:
        start = time.monotonic()
        response = client.patch(PERSON, json={"name": "K. Shipenko"},
                                headers={**writer, "If-Match": etag})
        took = time.monotonic() - start
        assert_problem(response, 503, "busy")
        assert response.headers["Retry-After"]
        assert took < 2, f"the writer waited {took:.1f}s on the lock"
        assert client.get(PERSON).status_code == 200  # reads are not held up
    finally:
        holder.rollback() if backend == "postgresql" else holder.execute("ROLLBACK")
        holder.close()
    response = client.patch(PERSON, json={"name": "K. Shipenko"},
                            headers={**writer, "If-Match": etag})
    assert response.status_code == 200
    next(made, None)


def test_no_statement_timeout_lets_a_long_statement_finish(tmp_path: Path) -> None:
    """DB_STATEMENT_TIMEOUT=0 is PostgreSQL's "no timeout" (a bulk load, the benchmark's
    counts): a statement longer than the connect timeout runs to its end, its connection
    not cut by the deadline a frozen server would get."""
    if not POSTGRES_URL:
        skip_unless_postgresql("statement_timeout=0")
    for app in make_app("postgresql", tmp_path, seeded=False, DB_STATEMENT_TIMEOUT=0,
                        DB_CONNECT_TIMEOUT=1):
        with app.app_context():
            started = time.monotonic()
            assert db.session.scalar(sa.text("SELECT 1 FROM pg_sleep(2.5)")) == 1
            assert time.monotonic() - started >= 2.5
            db.session.remove()
