"""When the database blinks: a prompt 503 with Retry-After, never a hang or a stack trace.

Connections are checked before use (``pool_pre_ping``) and time out after
``DB_CONNECT_TIMEOUT`` seconds, a statement after ``DB_STATEMENT_TIMEOUT`` ms (PostgreSQL),
so the app notices an outage quickly and recovers by
itself once the database answers again: no restart.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, request
from sqlalchemy import exc, make_url
from werkzeug.routing import IntegerConverter

from api.extensions import db
from api.http.errors import Problem, handle_unexpected, render


def engine_options(app: Flask) -> dict[str, Any]:
    """Engine options bounding how long a dead or unreachable database can stall a request."""
    options = {"pool_pre_ping": True, **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})}
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
                f"-c statement_timeout={app.config['DB_STATEMENT_TIMEOUT']}"))),
            **options.get("connect_args", {}),
        }
        options.setdefault("pool_timeout", timeout * 3)
    return options


def database_unavailable() -> Problem:
    """The 503 every request gets while the database cannot be reached."""
    return Problem(
        503,
        "The database is unreachable; retry shortly.",
        headers={"Retry-After": str(current_app.config["DB_RETRY_AFTER"])},
    )


def handle_database_error(error: exc.SQLAlchemyError) -> Response:
    db.session.rollback()
    if isinstance(error, exc.DataError):  # a value the database refuses to compare/store
        return render(Problem(400, "A value in the request cannot be used: check its "
                              "characters and range."))
    if isinstance(error, exc.OperationalError | exc.TimeoutError) or getattr(
        error, "connection_invalidated", False
    ):
        current_app.logger.warning(
            "database unavailable on %s %s: %s", request.method, request.path,
            type(getattr(error, "orig", None) or error).__name__,
        )
        return render(database_unavailable())
    return handle_unexpected(error)


class DatabaseInt(IntegerConverter):
    """``<int:…>`` path parameters only match what an Integer column can hold (else 404),
    so a huge id never reaches the database driver (SQLite raises OverflowError)."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def init_app(app: Flask) -> None:
    """Call before ``db.init_app`` and before any route: the engine is built with these
    options, and routes compile with the bounded ``int`` converter."""
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app)
    app.url_map.converters["int"] = DatabaseInt
    app.register_error_handler(exc.SQLAlchemyError, handle_database_error)
