"""The Mission Timeline API: a cited timeline served as JSON."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from api import cli, resources, webhooks
from api.config import Config
from api.extensions import db, migrate, smorest
from api.http import pipeline

MIGRATIONS = os.path.join(os.path.dirname(__file__), "migrations")


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app; settings come from the environment, then ``test_config``."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(Config)
    if test_config:
        app.config.from_mapping(test_config)
    os.makedirs(app.instance_path, exist_ok=True)

    pipeline.configure(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS)
    smorest.init_app(app)
    pipeline.init_app(app)
    resources.init_app(app)
    cli.init_app(app)
    webhooks.init_app(app)
    return app
