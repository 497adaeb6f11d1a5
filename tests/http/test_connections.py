"""Reads hand back their database connections: uncached pages and documents run their
Core selects on the connection the worker keeps for reads, or else one checked out for the
request (api.extensions.read_connection), which must return to the pool however the
request ends, or a worker runs out of them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import make_app
from flask import Flask
from sqlalchemy import event, text

from api.extensions import KEPT, READING, db, engines

READS = [
    ("/v1/events?limit=5", 200),
    ("/v1/events?limit=5&type=launch&type=docking", 200),
    ("/v1/missions/the-challenge/timelinejs", 200),
    ("/v1/missions/the-challenge/calendar.ics", 200),
    ("/v1/events.csv", 200),
    ("/v1/missions/nope/timelinejs", 404),
    ("/v1/events?cursor=forged", 400),
    ("/v1/events?person=nobody", 400),
]


@pytest.fixture
def uncached(backend: str, tmp_path: Path) -> Iterator[Flask]:
    yield from make_app(backend, tmp_path, seeded=True, RESPONSE_CACHE=False)


def test_every_read_returns_its_connection(uncached: Flask) -> None:
    client = uncached.test_client()
    with uncached.app_context():
        pools = [engine.pool for engine in engines()]
    for _ in range(3):  # more requests than the pool holds connections
        for path, status in READS:
            assert client.get(path).status_code == status, path
            # at most the one connection the worker keeps for reads
            # (api.extensions.read_connection)
            assert sum(pool.checkedout() for pool in pools) <= 1, path


def test_reads_from_a_new_thread_each_share_one_kept_connection(uncached: Flask) -> None:
    """A server that starts a thread per request (flask run) never runs the pool dry:
    the connection kept for reads belongs to the worker, not to a thread."""
    client = uncached.test_client()
    with uncached.app_context():
        pools = [engine.pool for engine in engines()]
    threads = 40  # more than both pools hold (5 connections and 10 overflow each)
    statuses: list[int] = []
    for _ in range(threads):
        thread = threading.Thread(
            target=lambda: statuses.append(client.get("/v1/events?limit=2").status_code))
        thread.start()
        thread.join()
    assert statuses == [200] * threads
    assert sum(pool.checkedout() for pool in pools) <= 1


def test_reads_run_in_autocommit_on_a_pool_of_their_own(uncached: Flask) -> None:
    """On PostgreSQL every statement of a GET (Core selects and ORM loads alike) runs on
    the reading engine, whose connections are in autocommit (no BEGIN, no ROLLBACK, no
    isolation level switched per request); a write's statements run in a transaction on
    db.engine."""
    with uncached.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite's driver begins no transaction for a SELECT anyway")
        reading, writing = uncached.extensions[READING], db.engine
    seen: list[tuple[str, bool]] = []

    def listen(name: str) -> object:
        return lambda conn, *args: seen.append((name, conn.connection.driver_connection.autocommit))

    listeners = [(reading, listen("reading")), (writing, listen("writing"))]
    for engine, listener in listeners:
        event.listen(engine, "before_cursor_execute", listener)
    try:
        client = uncached.test_client()
        for path in ("/v1/events?limit=3", "/v1/events/soyuz-ms-19-launch",
                     "/v1/missions/the-challenge/timelinejs"):
            assert client.get(path).status_code == 200, path
        assert seen and set(seen) == {("reading", True)}
        seen.clear()
        with uncached.app_context():
            from api.models import Event

            db.session.get(Event, "soyuz-ms-19-launch").title = "Renamed for the test"
            db.session.commit()
        assert seen and set(seen) == {("writing", False)}
    finally:
        for engine, listener in listeners:
            event.remove(engine, "before_cursor_execute", listener)


def test_an_uncached_page_shows_a_write_at_once(uncached: Flask) -> None:
    """The request's own connection reads what the last write committed."""
    client = uncached.test_client()
    first = client.get("/v1/events?limit=1").get_json()["items"][0]
    with uncached.app_context():
        from api.models import Event

        db.session.get(Event, first["id"]).title = "Renamed for the test"
        db.session.commit()
    again = client.get("/v1/events?limit=1").get_json()["items"][0]
    assert again["id"] == first["id"] and again["title"] == "Renamed for the test"


def test_a_kept_reading_connection_that_died_is_replaced(uncached: Flask) -> None:
    """The connection the worker keeps for reads dies (its server process ended): the read
    using it answers 503 like any lost connection, and the next read has a fresh one."""
    with uncached.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("a SQLite connection cannot be ended from another one")
        reading = uncached.extensions[READING]
    client = uncached.test_client()
    assert client.get("/v1/events?limit=1").status_code == 200
    kept = reading.__dict__[KEPT].connection
    with uncached.app_context(), db.engine.connect() as conn:
        pid = kept.connection.dbapi_connection.info.backend_pid
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    statuses = [client.get("/v1/events?limit=2").status_code for _ in range(2)]
    assert statuses == [503, 200]
    assert reading.__dict__[KEPT].connection is not kept
