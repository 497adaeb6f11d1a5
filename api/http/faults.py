"""When the database blinks: a prompt 503 with Retry-After, never a hang or a stack trace.

A connection idle in the pool for over ``DB_PING_AFTER_IDLE`` seconds is pinged before use;
connecting times out after ``DB_CONNECT_TIMEOUT`` s, a statement after
``DB_STATEMENT_TIMEOUT`` ms (PostgreSQL; a server that stopped answering altogether:
api/http/deadlines.py), a wait for a writer's lock after ``DB_LOCK_TIMEOUT`` ms. The app
notices an outage quickly and recovers by itself once the database answers again.

Errors that are not outages answer for what they are: a constraint the database enforces
is a 409 (here and nowhere else); a read-only, full or locked database is a 503 naming that
cause, and the log says which (SQLSTATE or SQLite error name; never the statement or its
values). SQLite enforces foreign keys on every connection, as PostgreSQL does.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from typing import Any

from flask import Flask, Response, current_app, request
from sqlalchemy import Engine, event, exc, make_url
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection
from werkzeug.routing import IntegerConverter

from api.extensions import answers, db, engines, make_replica_engines
from api.http.deadlines import bound_calls
from api.http.errors import Problem, handle_unexpected, render


def engine_options(app: Flask) -> dict[str, Any]:
    """Engine options bounding how long a dead or unreachable database can stall a request."""
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
    lock_timeout = app.config["DB_LOCK_TIMEOUT"]
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        options["connect_args"] = {"timeout": lock_timeout / 1000,
                                   **options.get("connect_args", {})}
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        timeout = app.config["DB_CONNECT_TIMEOUT"]
        options["connect_args"] = {
            "connect_timeout": timeout,
            # A connection whose peer vanished (no RST) fails instead of hanging.
            "tcp_user_timeout": timeout * 1000 * 3,
            "keepalives": 1,
            "keepalives_idle": 10,
            "keepalives_interval": 2,
            "keepalives_count": 3,
            # The server cancels a statement running longer (503), keeping URL options.
            "options": " ".join(filter(None, (
                make_url(app.config["SQLALCHEMY_DATABASE_URI"]).query.get("options"),
                f"-c statement_timeout={app.config['DB_STATEMENT_TIMEOUT']}",
                f"-c lock_timeout={lock_timeout}"))),
            **options.get("connect_args", {}),
        }
        options.setdefault("pool_timeout", timeout * 3)
    return options


@event.listens_for(Engine, "connect")
def _sqlite_foreign_keys(connection: Any, _record: Any) -> None:
    """Every SQLite connection enforces foreign keys, and keeps a write-ahead log (a long
    reader never holds writers back)."""
    if isinstance(connection, sqlite3.Connection):
        connection.execute("PRAGMA foreign_keys=ON")
        connection.execute("PRAGMA journal_mode=WAL")


def ping_when_idle(engine: Engine, idle: float) -> None:
    """Ping a connection that sat in ``engine``'s pool longer than ``idle`` seconds before
    it is used; a dead one is replaced (SQLAlchemy's pessimistic disconnect handling)."""

    def checkin(_dbapi: Any, entry: ConnectionPoolEntry) -> None:
        entry.info["checked_in"] = time.monotonic()

    def checkout(dbapi: Any, entry: ConnectionPoolEntry, _proxy: PoolProxiedConnection) -> None:
        since = entry.info.get("checked_in")
        if since is None or time.monotonic() - since <= idle:
            return  # new, or used a moment ago
        if not answers(engine, dbapi):
            raise exc.DisconnectionError()

    event.listen(engine.pool, "checkin", checkin)
    event.listen(engine.pool, "checkout", checkout)


UNREACHABLE = "The database is unreachable; retry shortly."
# Causes that are not outages: (SQLSTATEs or SQLite error names, cause, detail).
CAUSES = (
    (("25006", "SQLITE_READONLY"), "read-only",
     "The database is read-only: writes are unavailable for now; reads still work."),
    (("53100", "SQLITE_FULL"), "full",
     "The database is full (no space left): writes are unavailable for now."),
    (("55P03", "40P01", "40001", "SQLITE_BUSY", "SQLITE_LOCKED"), "locked",
     "The database is busy (locked by another writer); retry shortly."),
)
CONFLICTS = {"23505": "unique", "23503": "foreign key", "SQLITE_CONSTRAINT_PRIMARYKEY": "unique",
             "SQLITE_CONSTRAINT_UNIQUE": "unique", "SQLITE_CONSTRAINT_FOREIGNKEY": "foreign key"}


def error_code(error: exc.SQLAlchemyError) -> str:
    """The driver's code of a database error: PostgreSQL's SQLSTATE, SQLite's error name."""
    orig = getattr(error, "orig", None)
    return str(getattr(orig, "sqlstate", None) or getattr(orig, "sqlite_errorname", None)
               or type(orig or error).__name__)


def database_unavailable(detail: str = UNREACHABLE) -> Problem:
    """The 503 every request gets while the database cannot serve it."""
    return Problem(503, detail, headers={"Retry-After": str(current_app.config["DB_RETRY_AFTER"])})


def _log(what: str, code: str) -> None:
    current_app.logger.warning("database %s on %s %s: %s", what, request.method, request.path,
                               code)


def handle_database_error(error: exc.SQLAlchemyError) -> Response:
    db.session.rollback()
    code = error_code(error)
    if isinstance(error, exc.IntegrityError):  # the one place a constraint becomes a 409
        kind = CONFLICTS.get(code, "integrity")
        _log(f"{kind} conflict", code)
        reason = ("an id it creates was taken" if kind == "unique" else
                  "a record it refers to (or that refers to it) changed")
        return render(Problem(409, f"The write conflicts with a concurrent change: {reason} "
                              "meanwhile. Fetch the current state and retry."))
    if isinstance(error, exc.DataError):  # a value the database refuses to compare/store
        return render(Problem(400, "A value in the request cannot be used: check its "
                              "characters and range."))
    for codes, cause, detail in CAUSES:
        if code.startswith(codes):
            _log(cause, code)
            return render(database_unavailable(detail))
    if isinstance(error, exc.OperationalError | exc.TimeoutError) or getattr(
        error, "connection_invalidated", False
    ):
        _log("unavailable", code)
        return render(database_unavailable())
    return handle_unexpected(error)


class DatabaseInt(IntegerConverter):
    """``<int:…>`` path parameters only match what an Integer column can hold (else 404)."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def watch_connections(app: Flask) -> None:
    """Once the engines exist: make the replicas' engines, ping idle connections
    (``ping_when_idle``) and bound every call (``bound_calls``), unless the statement
    timeout is 0, PostgreSQL's "none" (bulk loads, the benchmark's counts)."""
    with app.app_context():
        make_replica_engines(app)
        for engine in engines():
            ping_when_idle(engine, app.config["DB_PING_AFTER_IDLE"])
            if app.config["DB_STATEMENT_TIMEOUT"]:
                bound_calls(engine, app.config["DB_STATEMENT_TIMEOUT"] / 1000,
                            app.config["DB_CONNECT_TIMEOUT"])


def end_session(_error: BaseException | None = None) -> None:
    """Remove the request's session (rolling back what it did not commit); if the
    database went away meanwhile, the answer stands and the connection is dropped."""
    try:
        db.session.remove()
    except exc.SQLAlchemyError as error:
        current_app.logger.warning("database unavailable while ending a request: %s",
                                   error_code(error))
        with contextlib.suppress(exc.SQLAlchemyError):
            db.session().invalidate()
        db.session.registry.clear()


def end_sessions_quietly(app: Flask) -> None:
    """Once Flask-SQLAlchemy registered its own session teardown: ours runs first."""
    app.teardown_appcontext(end_session)


def init_app(app: Flask) -> None:
    """Call before ``db.init_app`` and before any route: the engine is built with these
    options, and routes compile with the bounded ``int`` converter."""
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app)
    app.url_map.converters["int"] = DatabaseInt
    app.register_error_handler(exc.SQLAlchemyError, handle_database_error)
