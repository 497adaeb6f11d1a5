"""Extensions, created here and bound to an app in ``create_app``."""

import threading
from typing import Any

from cachetools import LRUCache
from flask import Flask, current_app, g, has_app_context, request
from flask_cors import CORS
from flask_migrate import Migrate
from flask_smorest import Api, Blueprint
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session
from marshmallow import RAISE, Schema
from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.orm import DeclarativeBase
from webargs.flaskparser import FlaskParser


class Base(DeclarativeBase):
    pass


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ReadingSession(Session):
    """Flask-SQLAlchemy's session; a request that only reads (GET, HEAD, OPTIONS) runs on
    PostgreSQL in autocommit, on the reading engine (``reading_engine``).

    Under READ COMMITTED every statement sees its own snapshot whether or not a
    transaction wraps it, so a read loses nothing, and saves the BEGIN and ROLLBACK round
    trips around its statements (half of an uncached page's). Writes keep their
    transaction, and so does everything outside a request's own app context (a command
    run while a request context is pushed, as in tests, has an app context of its own).
    SQLite's driver begins no transaction for a SELECT anyway.
    """

    def get_bind(self, *args: Any, **kwargs: Any) -> Engine | Connection:
        bind = super().get_bind(*args, **kwargs)
        if isinstance(bind, Engine) and has_app_context() and g.get("reads_only"):
            return current_app.extensions.get(READING, bind)
        return bind


def mark_reads(app: Flask) -> None:
    """Mark the app context of each request that only reads (``ReadingSession``), and return
    its reading connection (``read_connection``) when the context ends."""

    @app.before_request
    def _reads_only() -> None:
        g.reads_only = request.method in SAFE_METHODS

    app.teardown_appcontext(_return_reader)


READING = "reading_engine"


def make_reading_engine(app: Flask) -> None:
    """On PostgreSQL, ``db.engine``'s twin for requests that only read: the same database
    and options, with a pool of its own whose connections are opened in autocommit and
    handed back as they are (no transaction to end, no isolation level to restore). A
    read on ``db.engine`` with ``isolation_level="AUTOCOMMIT"`` as an execution option
    would switch the level of a pooled connection and back on every request: an eighth
    of an uncached page's time. (Call in an app context, once the engines exist.)"""
    engine = db.engine
    if engine.dialect.name == "postgresql":
        app.extensions[READING] = create_engine(
            engine.url, isolation_level="AUTOCOMMIT", pool_reset_on_return=None,
            skip_autocommit_rollback=True, **app.config["SQLALCHEMY_ENGINE_OPTIONS"])


def engines() -> list[Engine]:
    """Every engine of this app: ``db``'s and the reading engine, if any."""
    reading = current_app.extensions.get(READING)
    return [*db.engines.values(), *([reading] if reading is not None else [])]


def dispose_engines() -> None:
    """Close the pooled connections of every engine of this app (before a fork, or when
    the app is done with)."""
    for engine in engines():
        engine.dispose()


READER = "_reader"


def read_connection() -> Connection:
    """A connection for Core reads in this app context: the session's once it exists (so
    a read sees what the session wrote), else one checked out for the rest of the context
    (from the reading engine in a request that only reads, as ``ReadingSession``),
    returned to the pool when the context ends.

    A page's ``(id, version)`` query is most of what an uncached read asks the database;
    running it without an ORM session saves building, beginning and closing one."""
    if db.session.registry.has():
        return db.session.connection()
    connection = g.get(READER)
    if connection is None:
        engine = db.engine
        if g.get("reads_only"):
            engine = current_app.extensions.get(READING, engine)
        connection = engine.connect()
        setattr(g, READER, connection)
    return connection


def _return_reader(_error: BaseException | None) -> None:
    connection = g.pop(READER, None)
    if connection is not None:
        connection.close()


db = SQLAlchemy(model_class=Base, session_options={"class_": ReadingSession})
migrate = Migrate()
smorest = Api()
cors = CORS()

ARGUMENTS_KEPT = 1024


class ArgumentsParser(FlaskParser):
    """webargs' Flask parser, with two changes:

    - an unknown query parameter is an error, not silently ignored (a typo'd filter would
      otherwise return everything);
    - the arguments parsed from a query string are remembered (per worker, the last
      ``ARGUMENTS_KEPT`` query strings) and a copy is given to the next request with the
      same query string: they are a function of the schema and those exact bytes alone
      (no schema reads the data or the clock), so a repeated request skips the parsing.
      Errors are never remembered.
    """

    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": RAISE}

    def __init__(self) -> None:
        super().__init__()
        self.parsed: LRUCache[Any, dict[str, Any]] = LRUCache(ARGUMENTS_KEPT)
        self.lock = threading.Lock()

    def parse(self, argmap: Any, req: Any = None, **kwargs: Any) -> Any:
        if kwargs.get("location") != "query" or not isinstance(argmap, Schema):
            return super().parse(argmap, req, **kwargs)
        key = (argmap, kwargs.get("unknown"), kwargs.get("validate"),
               (req or request).query_string)
        with self.lock:
            found = self.parsed.get(key)
        if found is None:
            found = super().parse(argmap, req, **kwargs)
            with self.lock:
                self.parsed[key] = found
        return dict(found)  # the caller may change its own copy


Blueprint.ARGUMENTS_PARSER = ArgumentsParser()
