"""Extensions, created here and bound to an app in ``create_app``."""

import threading
import time
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
from webargs.core import missing
from webargs.flaskparser import FlaskParser, is_json_request

from api.http.bodies import load_json


class Base(DeclarativeBase):
    pass


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ReadingSession(Session):
    """Flask-SQLAlchemy's session; a request that only reads (GET, HEAD, OPTIONS) runs on
    PostgreSQL in autocommit, on the reading engine (``make_reading_engine``).

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
    """Close the pooled connections of every engine of this app (the connection kept for
    reads included: ``read_connection``), before a fork or when the app is done with."""
    for engine in engines():
        kept = engine.__dict__.pop(KEPT, None)
        if kept is not None and kept.connection is not None:
            kept.connection.close()
        engine.dispose()


def answers(engine: Engine, dbapi_connection: Any) -> bool:
    """Whether a DBAPI connection of ``engine`` answers a ping (the dialect's)."""
    try:
        engine.dialect.do_ping(dbapi_connection)
    except engine.dialect.loaded_dbapi.Error:
        return False
    return True


READER = "_reader"
KEPT = "_kept_reader"


class Kept:
    """The connection a worker keeps for reads from one request to the next, for one
    request at a time (``lock``); ``used``: when it last served one."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.connection: Connection | None = None
        self.used = 0.0


def read_connection() -> Connection:
    """A connection for Core reads in this app context: the session's once it exists (so
    a read sees what the session wrote), else, in a request that only reads, the connection
    the worker keeps for reads (the reading engine's on PostgreSQL) when no other request
    holds it (``_keep``), else one checked out for the rest of the context and returned
    when it ends.

    A page's ``(id, version)`` query is most of what an uncached read asks the database;
    running it without an ORM session saves building, beginning and closing one, and on
    the kept connection, checking one out of the pool and back in."""
    if db.session.registry.has():
        return db.session.connection()
    connection = g.get(READER)
    if connection is None:
        if g.get("reads_only"):
            engine = current_app.extensions.get(READING) or db.engine
            connection = _keep(engine) or engine.connect()
        else:
            connection = db.engine.connect()
        setattr(g, READER, connection)
    return connection


def _keep(engine: Engine) -> Connection | None:
    """The kept connection, now held by this request; None if another request holds it.
    It holds no transaction and no lock between requests (PostgreSQL's reading engine is in
    autocommit; SQLite's driver begins no transaction for a SELECT), and each statement sees
    what was committed before it. One idle longer than ``DB_PING_AFTER_IDLE`` is
    pinged first, as the pool pings any connection that sat idle (api/http/faults.py); a
    dead one is replaced by a connection from the pool (which pings that one in turn)."""
    kept = engine.__dict__.get(KEPT) or engine.__dict__.setdefault(KEPT, Kept())
    if not kept.lock.acquire(blocking=False):
        return None
    connection = kept.connection
    usable = connection is not None and not connection.invalidated and not connection.closed
    if (usable and time.monotonic() - kept.used > current_app.config["DB_PING_AFTER_IDLE"]
            and not answers(engine, connection.connection.dbapi_connection)):
        connection.invalidate()
    if connection is None or connection.invalidated or connection.closed:
        if connection is not None:
            connection.close()
        try:
            connection = kept.connection = engine.connect()
        except BaseException:
            kept.connection = None
            kept.lock.release()
            raise
    return connection


def _return_reader(error: BaseException | None) -> None:
    connection = g.pop(READER, None)
    if connection is None:
        return
    kept = connection.engine.__dict__.get(KEPT)
    if kept is None or kept.connection is not connection:
        connection.close()
        return
    if error is not None or connection.invalidated:  # a fresh one for the next request
        kept.connection = None
        connection.close()
    kept.used = time.monotonic()
    kept.lock.release()


db = SQLAlchemy(model_class=Base, session_options={"class_": ReadingSession})
migrate = Migrate()
smorest = Api()
cors = CORS()

ARGUMENTS_KEPT = 1024


class ArgumentsParser(FlaskParser):
    """webargs' Flask parser, with three changes:

    - an unknown query parameter is an error, not silently ignored (a typo'd filter would
      otherwise return everything);
    - the arguments parsed from a query string are remembered (per worker, the last
      ``ARGUMENTS_KEPT`` query strings) and a copy is given to the next request with the
      same query string: they are a function of the schema and those exact bytes alone
      (no schema reads the data or the clock), so a repeated request skips the parsing.
      Errors are never remembered;
    - a JSON body is read strictly (api/http/bodies.py: depth, keys sent twice).
    """

    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": RAISE}

    def __init__(self) -> None:
        super().__init__()
        self.parsed: LRUCache[Any, dict[str, Any]] = LRUCache(ARGUMENTS_KEPT)
        self.lock = threading.Lock()

    def _raw_load_json(self, req: Any) -> Any:
        if not is_json_request(req):
            return missing
        return load_json(req.get_data(cache=True))

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
