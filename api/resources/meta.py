"""The index, health probes and the docs page's assets."""

from __future__ import annotations

import os
import time
from typing import Any
from urllib.parse import urlsplit

import swagger_ui
from flask import (
    Flask,
    Response,
    current_app,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

from api.extensions import db
from api.http.faults import database_unavailable
from api.http.limits import storage_state
from api.models import Mission
from schemas import MissionSchema

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


COLLECTIONS = (
    ("missions", "missions.Missions"),
    ("events", "events.Events"),
    ("sources", "sources.Sources"),
    ("people", "people.People"),
    ("disputes", "disputes.Disputes"),
    ("changes", "changes.Changes"),
    ("snapshot", "changes.Snapshot"),
    ("openapi", "api-docs.openapi_json"),
    ("docs", "api-docs.openapi_swagger_ui"),
    ("health", "meta.Health"),
    ("ready", "meta.Ready"),
)
# The featured mission's other representations, by the names its own `links` use.
MISSION_FORMATS = ("embed", "timelinejs", "calendar", "feed_json", "feed_atom", "csv")


def wants_html() -> bool:
    """Whether the client prefers an HTML page to JSON (a browser; not curl's ``*/*``)."""
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"


def index() -> dict[str, Any]:
    """The index: the collections, the docs, and the featured (first) mission's formats."""
    links = {name: url_for(endpoint, _external=True) for name, endpoint in COLLECTIONS}
    try:
        mission = db.session.scalars(select(Mission).order_by(Mission.id).limit(1)).first()
    except SQLAlchemyError:  # the index still answers while the database is away
        db.session.rollback()
        mission = None
    if mission is not None:
        mission_links = MissionSchema().dump(mission)["links"]
        links["mission"] = mission_links["self"]
        links |= {name: mission_links[name] for name in MISSION_FORMATS}
    return {
        "name": "Mission Timeline API",
        "description": "A cited timeline of the first feature film shot in orbit.",
        "version": "v1",
        "links": links,
        "mission": mission,
    }


@blp.route("/")
class Index(MethodView):
    @blp.response(200, IndexSchema, headers={"Vary": {
        "description": "`Accept`: the page and the JSON are two representations.",
        "schema": {"type": "string"}}})
    @blp.alt_response(200, content_type="text/html", example="<!doctype html>",
                      description="The index as JSON (curl: `Accept: */*` or "
                      "`application/json`); with `Accept: text/html` preferred (a browser), "
                      "a page saying what this is, with the timeline embedded and links to "
                      "the docs and every format.")
    def get(self) -> Any:
        """Index: links to every collection, the documentation and the formats

        JSON for clients such as curl (`Accept: */*` or `application/json`); a short page
        with the timeline for a browser (`Accept: text/html` preferred).
        """
        doc = index()
        if wants_html():  # the page links within its own origin, whatever the host is named
            embed = doc["links"].get("embed")  # but the snippet to paste elsewhere is absolute
            doc["links"] = {name: urlsplit(url)._replace(scheme="", netloc="").geturl()
                            for name, url in doc["links"].items()}
            page = render_template("index.html", embed_url=embed, **doc)
            return Response(page, mimetype="text/html", headers={"Vary": "Accept"})
        doc.pop("mission")
        return doc, 200, {"Vary": "Accept"}


@blp.route("/favicon.ico", endpoint="Favicon")
class Favicon(MethodView):
    @blp.response(200, content_type="image/svg+xml", example="<svg/>")
    def get(self) -> Response:
        """The site's icon (an orbit), so browsers asking for /favicon.ico find one"""
        with open(os.path.join(current_app.static_folder, "favicon.svg"), "rb") as icon:
            return Response(icon.read(), mimetype="image/svg+xml")


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
        A worker checks at most once per `READY_CACHE_SECONDS` and repeats its last answer
        meanwhile, so frequent probes cost no waits on a dependency that hangs.
        """
        kept = current_app.extensions.get(READINESS)
        if kept is None or time.monotonic() >= kept[0]:
            kept = current_app.extensions[READINESS] = (
                time.monotonic() + current_app.config["READY_CACHE_SECONDS"], readiness())
        if kept[1] is None:
            raise database_unavailable()
        return kept[1], 200, NO_STORE


READINESS = "readiness"  # app.extensions: (until when, the last answer or None: no database)


def readiness() -> dict[str, Any] | None:
    """What /readyz says: the checks of the database and Redis; ``None`` when the
    database cannot be reached."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return None
    checks = {"database": "ok"}
    redis = storage_state(current_app)
    if redis is not None:
        checks["redis"] = redis
    status = "ok" if all(value == "ok" for value in checks.values()) else "degraded"
    return {"status": status, "checks": checks}


def _docs_asset(filename: str) -> Response:
    return send_from_directory(SWAGGER_UI_ASSETS, filename, max_age=86400)


def register_docs_assets(app: Flask) -> None:
    """Serve the Swagger UI files from the installed package: the docs page needs no CDN."""
    app.add_url_rule("/docs/static/<path:filename>", "docs_asset", _docs_asset)
