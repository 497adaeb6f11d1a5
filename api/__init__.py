"""The Mission Timeline API: a cited timeline served as JSON."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import (
    apidoc,
    auth,
    cache,
    caching,
    errors,
    export,
    faults,
    fragments,
    limits,
    observability,
    resources,
    search,
    security,
    seed,
    synth,
    writes,
)
from .config import Config
from .extensions import cors, db, migrate, smorest
from .jsonprovider import OrjsonProvider

MIGRATIONS = os.path.join(os.path.dirname(__file__), "migrations")
EXPOSED_HEADERS = ["ETag", "Link", "Retry-After", "X-Request-ID",
                   "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"]


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app; settings come from the environment, then ``test_config``."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(Config)
    if test_config:
        app.config.from_mapping(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    app.json = OrjsonProvider(app)
    if app.config["PROXY_COUNT"]:
        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_prefix=n)

    faults.init_app(app)  # before db.init_app: sets the engine options
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS, include_object=search.include_object)
    smorest.init_app(app)
    apidoc.init_app(app)  # before any blueprint: documents every error response
    origins = app.config["CORS_ORIGINS"]
    cors.init_app(app, origins=origins, send_wildcard=origins == "*", vary_header=origins != "*",
                  expose_headers=EXPOSED_HEADERS)
    resources.init_app(app)
    errors.init_app(app)
    caching.init_app(app)
    seed.init_app(app)
    auth.init_app(app)
    export.init_app(app)
    writes.init_app(app)
    security.init_app(app)
    limits.init_app(app)
    observability.init_app(app)
    synth.init_app(app)
    fragments.init_app(app)
    cache.init_app(app)  # last: its before_request may answer the request
    return app
