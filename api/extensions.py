"""Extensions, created here and bound to an app in ``create_app``."""

import threading
from typing import Any

from cachetools import LRUCache
from flask import request
from flask_cors import CORS
from flask_migrate import Migrate
from flask_smorest import Api, Blueprint
from flask_sqlalchemy import SQLAlchemy
from marshmallow import RAISE, Schema
from sqlalchemy.orm import DeclarativeBase
from webargs.flaskparser import FlaskParser


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
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
