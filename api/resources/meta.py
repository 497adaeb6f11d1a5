"""The index, health probes and the docs page's assets."""

from __future__ import annotations

import os
from typing import Any

import swagger_ui
from flask import Flask, Response, current_app, send_from_directory, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.extensions import db
from api.http.faults import database_unavailable
from api.http.limits import storage_state

blp = Blueprint("meta", __name__, description="Index and health.")
SWAGGER_UI_ASSETS = os.path.join(os.path.dirname(swagger_ui.__file__), "static")
NO_STORE = {"Cache-Control": "no-store"}


class IndexSchema(Schema):
    name = fields.String()
    description = fields.String()
    version = fields.String()
    links = fields.Dict(keys=fields.String(), values=fields.String())


class StatusSchema(Schema):
    status = fields.String(metadata={"example": "ok"})


class ReadySchema(StatusSchema):
    checks = fields.Dict(keys=fields.String(), values=fields.String(),
                         metadata={"example": {"database": "ok", "redis": "ok"}})


@blp.route("/")
class Index(MethodView):
    @blp.response(200, IndexSchema)
    def get(self) -> dict[str, Any]:
        """Index: links to every collection and to the documentation"""
        links = {
            name: url_for(endpoint, _external=True)
            for name, endpoint in (
                ("missions", "missions.Missions"),
                ("events", "events.Events"),
                ("sources", "sources.Sources"),
                ("people", "people.People"),
                ("openapi", "api-docs.openapi_json"),
                ("docs", "api-docs.openapi_swagger_ui"),
                ("health", "meta.Health"),
                ("ready", "meta.Ready"),
            )
        }
        return {
            "name": "Mission Timeline API",
            "description": "A cited timeline of the first feature film shot in orbit.",
            "version": "v1",
            "links": links,
        }


@blp.route("/healthz", endpoint="Health")
class Health(MethodView):
    @blp.response(200, StatusSchema)
    def get(self) -> Any:
        """Liveness: the process answers"""
        return {"status": "ok"}, 200, NO_STORE


@blp.route("/readyz", endpoint="Ready")
class Ready(MethodView):
    @blp.response(200, ReadySchema)
    @blp.alt_response(503, description="The database cannot be reached.")
    def get(self) -> Any:
        """Readiness: the database answers; a Redis outage only degrades

        503 while the database cannot be reached: take the instance out of rotation.
        200 with `"status": "degraded"` while Redis (shared rate-limit counters) cannot be
        reached: every request is still served, limits count per worker; keep routing.
        """
        try:
            db.session.execute(text("SELECT 1"))
        except SQLAlchemyError:
            db.session.rollback()
            return database_unavailable()
        checks = {"database": "ok"}
        redis = storage_state(current_app)
        if redis is not None:
            checks["redis"] = redis
        status = "ok" if all(value == "ok" for value in checks.values()) else "degraded"
        return {"status": status, "checks": checks}, 200, NO_STORE


def _docs_asset(filename: str) -> Response:
    return send_from_directory(SWAGGER_UI_ASSETS, filename, max_age=86400)


def register_docs_assets(app: Flask) -> None:
    """Serve the Swagger UI files from the installed package: the docs page needs no CDN."""
    app.add_url_rule("/docs/static/<path:filename>", "docs_asset", _docs_asset)
