"""The embeddable page: a mission's timeline drawn by TimelineJS, served with its assets.

The page loads the mission's TimelineJS document (api/resources/formats.py) with the
page's own query, so it shows exactly what that document holds.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any
from urllib.parse import urlencode, urljoin

from flask import Response, current_app, render_template, request, send_from_directory, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import ValidationError
from sqlalchemy import select

from api.extensions import db
from api.http.security import page_csp
from api.models import Event, Mission
from api.queries import SORT_KEYS
from api.resources.formats import file_response
from schemas.common import flatten_errors
from schemas.timelinejs import EmbedQuerySchema

blp = Blueprint("embed", __name__, description="A mission's timeline as a page to embed.")

# TimelineJS 3.9.11 gives its buttons an empty inline handler on touch screens,
# ontouchstart=" " (MenuBar.js, SlideNav.js: an old iOS Safari trick so that :active
# styles show on a tap), which a policy without inline scripts blocks with a console error
# per button. No TimelineJS option avoids it (it follows window.orientation), and editing
# the npm package's file or hiding the device from the library would be worse. So the embed
# page's policy allows that one handler by its hash: 'unsafe-hashes' lets a hash match an
# event-handler attribute, this hash matches only the text " ", which does nothing, and
# every other inline script or handler stays blocked.
TOUCH_HANDLER = "'sha256-{}'".format(base64.b64encode(hashlib.sha256(b" ").digest()).decode())


def key_event(mission: Mission) -> Event | None:
    """The event an embed page opens on by default: the mission's ``key_event`` while it is
    a live event of the mission, else (unset, deleted or moved) its first launch."""
    own = select(Event).where(Event.mission_id == mission.id)
    chosen = mission.key_event and db.session.scalar(own.where(Event.id == mission.key_event))
    return chosen or db.session.scalar(own.where(Event.type == "launch")
                                       .order_by(*SORT_KEYS).limit(1))


def _embed_query(mission: Mission) -> tuple[str | None, list[tuple[str, str]]]:
    """The event the page opens on, and the query its TimelineJS document gets: the page's
    own, validated like the document's (raise ValidationError), without ``start_at``, and
    with context events when the page opens on one."""
    schema = EmbedQuerySchema()
    args = schema.load(Blueprint.ARGUMENTS_PARSER.load_querystring(request, schema))
    query = [(k, v) for k, v in request.args.items(multi=True) if k != "start_at"]
    start_at = args.get("start_at")
    event = key_event(mission) if start_at is None else db.session.get(Event, start_at)
    if start_at is not None and (event is None or event.mission_id != mission.id):
        raise ValidationError({"start_at": [f"No event '{start_at}' in mission '{mission.id}'."]})
    if event is not None and event.is_context and "context" not in request.args:
        query.append(("context", "1"))
    return (event.id if event else None), query


def embed_page(mission: Mission | None, status: int = 200, message: str | None = None,
               **timeline: Any) -> Response:
    """The embed page: the timeline, or only ``message`` (an error) when there is one."""
    page = render_template("embed.html", mission=mission, message=message, **timeline)
    response = file_response(page, "text/html", {"Cache-Control": "no-store"} if message else None)
    response.status_code = status
    response.headers["Content-Security-Policy"] = page_csp("*", (TOUCH_HANDLER,))
    return response


@blp.route("/embed/<string:mission>", endpoint="Embed")
class Embed(MethodView):
    @blp.doc(parameters=[{"in": "query", "schema": EmbedQuerySchema}])
    @blp.response(200, content_type="text/html", example="<!doctype html>")
    @blp.alt_response(400, content_type="text/html", example="<!doctype html>",
                      description="A bad query parameter, named in a message on the page.")
    @blp.alt_response(404, content_type="text/html", example="<!doctype html>",
                      description="No such mission, said on the page.")
    def get(self, mission: str) -> Response:
        """A page showing a mission's timeline with TimelineJS, to embed in an iframe

        Takes the query of the TimelineJS document and passes it on, and `start_at`, the
        event it opens on. Errors (a bad parameter, an unknown mission, no matching events,
        an unreachable API) are a readable message in the page, never JSON.
        """
        found = db.session.get(Mission, mission)
        if found is None:
            return embed_page(None, 404, f"No mission with id '{mission}'.")
        try:
            start_at, query = _embed_query(found)
        except ValidationError as err:
            detail = " ".join(f"Query parameter '{field}': {text}"
                              for field, text in flatten_errors(err.messages))
            return embed_page(found, 400, detail)
        config = current_app.config
        data_path = url_for("formats.Timeline", id=found.id) + (
            f"?{urlencode(query)}" if query else "")
        assets = urljoin(request.host_url, config["TIMELINEJS_URL"]).rstrip("/")
        return embed_page(
            found,
            data_url=(config["EMBED_API_URL"].rstrip("/") or request.host_url.rstrip("/"))
            + data_path,
            start_at=start_at or "",
            script=f"{assets}/js/timeline.js",
            stylesheet=f"{assets}/css/timeline.css",
            options={"script_path": f"{assets}/js/", "font": None, "hash_bookmark": False,
                     "marker_height_min": 24}
        )


@blp.route("/embed/timelinejs/<path:filename>", endpoint="TimelineJSAsset")
class TimelineJSAsset(MethodView):
    @blp.response(200, content_type="text/javascript", example="var TL;")
    def get(self, filename: str) -> Response:
        """The TimelineJS files the embed page uses, served from TIMELINEJS_DIR

        The npm package `@knight-lab/timelinejs` (its `dist` folder): no CDN needed.
        """
        return send_from_directory(current_app.config["TIMELINEJS_DIR"], filename, max_age=86400)
