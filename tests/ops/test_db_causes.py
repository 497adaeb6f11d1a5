"""A database that answers but cannot write is not an outage: a read-only, full or locked
database gets a 503 naming its cause, reads go on where they can, and the log says why."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from flask import Flask
from support import assert_problem

from api import create_app
from api.extensions import db, dispose_engines

PERSON = "/v1/people/klim-shipenko"



@contextlib.contextmanager
def sibling(app: Flask, sqlite_query: str = "", pg_option: str = "",
            **config: Any) -> Iterator[Flask]:
    """Another app on the same database, connecting with other options."""
    url = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and sqlite_query:
        url = f"sqlite:///file:{url.database}?{sqlite_query}&uri=true"
    elif url.get_backend_name() == "postgresql" and pg_option:
        url = url.update_query_dict({"options": f"{url.query['options']} -c{pg_option}"})
    url = url if isinstance(url, str) else url.render_as_string(hide_password=False)
    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, **config})
    yield other
    with other.app_context():
        db.session.remove()
        dispose_engines()


def rename(app: Flask, writer: dict[str, str]) -> Any:
    client = app.test_client()
    etag = client.get(PERSON).headers["ETag"]
    return client.patch(PERSON, json={"name": "K. Shipenko"},
                        headers={**writer, "If-Match": etag})


def assert_cause(response: Any, words: str, caplog: pytest.LogCaptureFixture, cause: str,
                 code: str) -> None:
    assert "unreachable" not in assert_problem(response, 503, words)["detail"]
    assert response.headers["Retry-After"]
    logged = [r.getMessage() for r in caplog.records if r.name == "api"]
    assert any(f"database {cause} on" in m and code in m for m in logged), logged


def test_a_read_only_database_says_so(
    app: Flask, writer: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    with sibling(app, "mode=ro", "default_transaction_read_only=on") as read_only:
        assert read_only.test_client().get(PERSON).status_code == 200  # reads still work
        response = rename(read_only, writer)
    code = "SQLITE_READONLY" if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") \
        else "25006"
    assert_cause(response, "is read-only", caplog, "read-only", code)


def test_a_locked_database_says_so(
    app: Flask, writer: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    sqlite = app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
    wait = {"connect_args": {"timeout": 0.2}} if sqlite else {}  # SQLite's busy timeout
    with sibling(app, pg_option="lock_timeout=200", SQLALCHEMY_ENGINE_OPTIONS=wait) as other, \
            app.app_context(), db.engine.connect() as holder:
        # Another writer holds the lock: the whole file (SQLite), the person's row (PostgreSQL).
        if sqlite:
            holder.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            holder.exec_driver_sql("SELECT 1 FROM people WHERE id = 'klim-shipenko' FOR UPDATE")
        response = rename(other, writer)
        holder.rollback()
    code = "SQLITE_BUSY" if sqlite else "55P03"
    assert_cause(response, "is busy", caplog, "locked", code)


def test_a_full_database_says_so(
    app: Flask, writer: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite only: a full disk cannot be staged on a shared PostgreSQL server; "
                    "this is the PostgreSQL run")
    path = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    with app.app_context():
        dispose_engines()
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("VACUUM")  # no free pages left: any growth needs a new one
        pages = conn.execute("PRAGMA page_count").fetchone()[0]

    with sibling(app) as full, full.app_context():
        sa.event.listen(db.engine, "connect",
                        lambda c, _: c.execute(f"PRAGMA max_page_count={pages}"))
        client = full.test_client()
        response = client.post("/v1/sources", headers=writer, json={
            "id": "long-read", "file": "long.txt", "note": "x" * 5000})
    assert_cause(response, "is full", caplog, "full", "SQLITE_FULL")


@pytest.mark.parametrize(("error", "status", "words"), [
    (psycopg.errors.DiskFull, 503, "is full"),
    (psycopg.errors.ReadOnlySqlTransaction, 503, "is read-only"),
    (psycopg.errors.LockNotAvailable, 503, "is busy"),
    (psycopg.errors.DeadlockDetected, 503, "is busy"),
    (psycopg.errors.UniqueViolation, 409, "was taken"),
    (psycopg.errors.ForeignKeyViolation, 409, "changed meanwhile"),
    (psycopg.errors.AdminShutdown, 503, "unreachable"),
])
def test_postgresql_errors_by_sqlstate(error: type, status: int, words: str) -> None:
    """What PostgreSQL raises for causes this machine cannot stage (a full disk)."""
    from api.http.faults import handle_database_error

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    wrapped = sa.exc.DBAPIError.instance("UPDATE people ...", {}, error("x"), psycopg.Error)
    with app.test_request_context("/v1/people/x", method="PATCH"):
        response = handle_database_error(wrapped)
    assert_problem(response, status, words)
