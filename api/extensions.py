"""Extensions, created here and bound to an app in ``create_app``."""

from flask_cors import CORS
from flask_migrate import Migrate
from flask_smorest import Api, Blueprint
from flask_sqlalchemy import SQLAlchemy
from marshmallow import RAISE
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
smorest = Api()
cors = CORS()

# An unknown query parameter is an error, not silently ignored (a typo'd filter would
# otherwise return everything).
_parser = Blueprint.ARGUMENTS_PARSER
_parser.DEFAULT_UNKNOWN_BY_LOCATION = {**_parser.DEFAULT_UNKNOWN_BY_LOCATION, "query": RAISE}
