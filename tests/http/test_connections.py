"""Reads hand back their database connections: uncached pages and documents run their
Core selects on the request's session connection (api.queries.pagination), which
must return to the pool however the request ends, or a worker runs out of them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from support import make_app

from api.extensions import db

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
    """The response cache off, and a pool of one connection that a request waits for at
    most a second: a request that kept its connection would leave the next one none."""
    yield from make_app(backend, tmp_path, seeded=True, RESPONSE_CACHE=False,
                        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 1, "max_overflow": 0,
                                                   "pool_timeout": 1})


def test_every_read_returns_its_connection(uncached: Flask) -> None:
    client = uncached.test_client()
    for _ in range(3):  # more requests than the pool holds connections
        for path, status in READS:
            assert client.get(path).status_code == status, path


def test_reads_from_a_new_thread_each_hand_back_their_connection(uncached: Flask) -> None:
    """A server that starts a thread per request (flask run) never runs the pool dry."""
    client = uncached.test_client()
    statuses: list[int] = []
    for _ in range(5):
        thread = threading.Thread(
            target=lambda: statuses.append(client.get("/v1/events?limit=2").status_code))
        thread.start()
        thread.join()
    assert statuses == [200] * 5


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
