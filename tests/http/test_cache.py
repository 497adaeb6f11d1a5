"""The response cache: repeat reads skip the database, and never serve stale data."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from flask import Flask
from sqlalchemy import select
from support import make_app, statements_run

from api import create_app
from api.cli.seed import load_seeds
from api.extensions import db, dispose_engines
from api.models import Event

URL = "/v1/events/soyuz-ms-19-launch"
LIST = "/v1/events?limit=5"


@pytest.fixture
def app(backend: str, tmp_path: Path) -> Iterator[Flask]:
    """A seeded app whose cache checks the data version only once a minute."""
    yield from make_app(backend, tmp_path, seeded=True, CACHE_CHECK_SECONDS=60)


@pytest.fixture
def statements(app: Flask) -> Iterator[list]:
    """The SQL statements the app runs during the test."""
    with statements_run(app) as seen:
        yield seen


@contextmanager
def another_worker(app: Flask, **config: object) -> Iterator[Flask]:
    """A second app on the same database, as another gunicorn worker would be."""
    other = create_app({"TESTING": True,
                        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                        **config})
    yield other
    with other.app_context():
        dispose_engines()


def retitle(app: Flask, event_id: str, title: str) -> None:
    """A store-level write: change an event and bump the data version."""
    with app.app_context():
        db.session.get(Event, event_id).title = title
        db.session.commit()


def test_repeat_read_runs_no_sql(client, statements: list) -> None:
    first = client.get(LIST)
    assert first.status_code == 200 and len(statements) > 0
    statements.clear()
    again = client.get(LIST)
    assert len(statements) == 0
    assert again.data == first.data and again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Link"] == first.headers["Link"]
    assert again.headers["Cache-Control"] == first.headers["Cache-Control"]


def test_conditional_get_is_304_without_sql(client, statements: list) -> None:
    etag = client.get(URL).headers["ETag"]
    statements.clear()
    response = client.get(URL, headers={"If-None-Match": etag})
    assert response.status_code == 304 and response.data == b""
    assert len(statements) == 0


def test_cached_response_still_gets_cors_headers(client) -> None:
    client.get(URL)
    response = client.get(URL, headers={"Origin": "https://example.org"})
    assert response.headers["Access-Control-Allow-Origin"] in ("*", "https://example.org")
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]


def test_write_through_this_worker_is_visible_at_once(app: Flask, client) -> None:
    before = client.get(URL)
    retitle(app, "soyuz-ms-19-launch", "Renamed launch")
    after = client.get(URL)
    assert after.json["title"] == "Renamed launch"
    assert after.headers["ETag"] != before.headers["ETag"]
    assert client.get(URL, headers={"If-None-Match": before.headers["ETag"]}).status_code == 200


def test_write_by_another_worker_is_visible_within_the_check_interval(app: Flask) -> None:
    with another_worker(app, CACHE_CHECK_SECONDS=0.2) as reader_app, \
            another_worker(app) as writer:
        reader = reader_app.test_client()
        before = reader.get(URL)
        retitle(writer, "soyuz-ms-19-launch", "Renamed elsewhere")
        time.sleep(0.25)
        after = reader.get(URL)
    assert after.json["title"] == "Renamed elsewhere"
    assert after.headers["ETag"] != before.headers["ETag"]


def test_reseed_of_an_edited_file_reaches_a_caching_worker(app: Flask, seeds_copy: Path) -> None:
    other = "/v1/events/first-moon-steps-1969"
    path = seeds_copy / "events.yaml"
    records = yaml.safe_load(path.read_text())
    next(r for r in records if r["id"] == "soyuz-ms-19-launch")["title"] = "Edited in the seed"
    path.write_text(yaml.safe_dump(records, allow_unicode=True))
    with another_worker(app, CACHE_CHECK_SECONDS=0.2) as reader_app, \
            another_worker(app) as seeder:
        reader = reader_app.test_client()
        launch, moon = reader.get(URL), reader.get(other)
        with seeder.app_context():
            load_seeds(str(seeds_copy), overwrite=True)
        time.sleep(0.25)
        edited = reader.get(URL)
        assert edited.json["title"] == "Edited in the seed"
        assert edited.headers["ETag"] != launch.headers["ETag"]
        # The cache was dropped, yet an unchanged representation keeps its ETag.
        assert reader.get(other).headers["ETag"] == moon.headers["ETag"]


def test_unchanged_reseed_keeps_etags(app: Flask, client) -> None:
    etag = client.get(URL).headers["ETag"]
    with app.app_context():
        load_seeds(str(Path(__file__).resolve().parents[2] / "seeds"))
    assert client.get(URL).headers["ETag"] == etag


def test_cache_is_bounded_by_bytes(backend: str, tmp_path: Path) -> None:
    for app in make_app(backend, tmp_path, seeded=True, CACHE_MAX_BYTES=40_000,
                        CACHE_CHECK_SECONDS=60):
        client = app.test_client()
        urls = [f"/v1/events?limit={n}" for n in range(1, 5)]
        assert sum(len(client.get(url).data) for url in urls) > 40_000
        with statements_run(app) as statements:
            client.get(urls[-1])  # recent: still cached
            assert statements == []
            client.get(urls[0])  # least recently used: evicted, computed again
            assert statements


def test_errors_are_not_cached(app: Flask, client) -> None:
    assert client.get("/v1/events/not-yet").status_code == 404
    with app.app_context():
        mission = db.session.scalar(select(Event.mission_id).limit(1))
    # The 404 must not hide the event once it exists.
    with app.app_context():
        source = db.session.get(Event, "soyuz-ms-19-launch")
        db.session.add(Event(id="not-yet", mission_id=mission, type="plan", status="planned",
                             title="Later", summary="Later.", start={"date": "2030"},
                             tags=[], citations=[type(source.citations[0])(
                                 source_id=source.citations[0].source_id, position=0,
                                 quote="q", supports=["title"])]))
        db.session.commit()
    assert client.get("/v1/events/not-yet").status_code == 200


def test_rolled_back_write_leaves_the_cache_alone(app: Flask, client,
                                                  statements: list) -> None:
    before = client.get(URL)
    with app.app_context():
        db.session.get(Event, "soyuz-ms-19-launch").title = "Never committed"
        db.session.rollback()
        db.session.commit()  # a later, empty commit must not expire the cache either
    statements.clear()
    after = client.get(URL)
    assert after.data == before.data and len(statements) == 0


def test_stored_answers_are_served_while_the_database_cannot_be_read(
    backend: str, tmp_path: Path,
) -> None:
    """stale-if-error: a stored representation keeps being served (for at most
    CACHE_STALE_IF_ERROR seconds after the last good data-version check); one never stored
    gets the database's 503."""
    if backend != "sqlite":
        pytest.skip("PostgreSQL frozen under load: tests/ops/test_frozen_db.py")
    made = make_app(backend, tmp_path, seeded=True, CACHE_CHECK_SECONDS=0,
                    CACHE_STALE_IF_ERROR=2)
    app = next(made)
    client = app.test_client()
    stored = client.get(URL)
    assert "stale-if-error=2" in stored.headers["Cache-Control"]
    database = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    with app.app_context():
        dispose_engines()
    database.rename(database.with_suffix(".away"))
    database.mkdir()  # no database file there: every connection fails
    try:
        again = client.get(URL)
        assert again.status_code == 200 and again.data == stored.data
        assert again.headers["ETag"] == stored.headers["ETag"]
        assert client.get(LIST).status_code == 503  # never stored
        time.sleep(2.1)
        assert client.get(URL).status_code == 503  # stored too long before the failure
    finally:
        database.rmdir()
        database.with_suffix(".away").rename(database)
    assert client.get(URL).status_code == 200
    next(made, None)
