"""Extensions, created here and bound to an app in ``create_app``."""

from typing import Any

from flask import Flask, current_app, g, has_request_context
from flask_cors import CORS
from flask_migrate import Migrate
from flask_smorest import Api, Blueprint
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session
from marshmallow import RAISE
from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.orm import DeclarativeBase
from webargs.core import missing
from webargs.flaskparser import FlaskParser, is_json_request

from api.http.bodies import load_json


class Base(DeclarativeBase):
    pass


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
REPLICAS = "read_replicas"


class RoutingSession(Session):
    """Flask-SQLAlchemy's session, reading from the replica api/http/replicas.py chose
    (``g.replica``), else from the primary. A request that only reads (``g.only_reads``)
    runs in autocommit on PostgreSQL: each statement its own snapshot, as under READ
    COMMITTED, without the BEGIN and ROLLBACK round trips. Anything else keeps its
    transaction."""

    def get_bind(self, *args: Any, **kwargs: Any) -> Engine | Connection:
        if not has_request_context() or not g.get("only_reads"):
            return super().get_bind(*args, **kwargs)
        engine = g.get("replica") or super().get_bind(*args, **kwargs)
        return autocommit(engine) if engine.dialect.name == "postgresql" else engine


def autocommit(engine: Engine) -> Engine:
    """``engine`` in autocommit, sharing its pool: SQLAlchemy's way to read without a
    transaction (each connection's isolation level is restored when it is returned)."""
    if (reading := engine.__dict__.get("_autocommit")) is None:
        reading = engine.__dict__["_autocommit"] = engine.execution_options(
            isolation_level="AUTOCOMMIT")
    return reading


def make_replica_engines(app: Flask) -> None:
    """An engine per ``REPLICA_URLS`` entry, with the primary's options (in an app context)."""
    app.extensions[REPLICAS] = [create_engine(url, **app.config["SQLALCHEMY_ENGINE_OPTIONS"])
                                for url in app.config["REPLICA_URLS"]]


def engines() -> list[Engine]:
    """Every engine of this app: ``db``'s and the read replicas'."""
    return [*db.engines.values(), *current_app.extensions.get(REPLICAS, ())]


def dispose_engines() -> None:
    """Close the pooled connections of every engine of this app (before a fork, or at exit)."""
    for engine in engines():
        engine.dispose()


def answers(engine: Engine, dbapi_connection: Any) -> bool:
    """Whether a DBAPI connection of ``engine`` answers a ping (the dialect's)."""
    try:
        engine.dialect.do_ping(dbapi_connection)
    except engine.dialect.loaded_dbapi.Error:
        return False
    return True


db = SQLAlchemy(model_class=Base, session_options={"class_": RoutingSession})
migrate = Migrate()
smorest = Api()
cors = CORS()

class ArgumentsParser(FlaskParser):
    """webargs' Flask parser: an unknown query parameter is an error (a typo'd filter would
    otherwise return everything), and a JSON body is read strictly (api/http/bodies.py)."""

    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": RAISE}

    def _raw_load_json(self, req: Any) -> Any:
        if not is_json_request(req):
            return missing
        return load_json(req.get_data(cache=True))


Blueprint.ARGUMENTS_PARSER = ArgumentsParser()
