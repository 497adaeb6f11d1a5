"""Missions: the frames events belong to."""

from __future__ import annotations

from typing import Any

from flask import Response, render_template
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from api.http.errors import get_or_404
from api.models import Event, Mission
from api.queries import EMBEDDED_EVENTS, first_events
from api.queries.pagination import listing
from api.resources import formats
from api.resources.meta import wants_html
from schemas import MissionSchema, PageQuerySchema, page_of

blp = Blueprint("missions", __name__, url_prefix="/v1/missions", description="Missions.")


@blp.route("")
class Missions(MethodView):
    @blp.arguments(PageQuerySchema(), location="query")
    @blp.response(200, page_of(MissionSchema))
    def get(self, args: dict[str, Any]) -> Any:
        """List missions"""
        return listing(select(Mission), (Mission.id,), args)


@blp.route("/<string:id>", endpoint="Mission")
class MissionItem(MethodView):
    @blp.response(200, MissionSchema)
    @blp.alt_response(200, content_type=formats.CALENDAR, example="BEGIN:VCALENDAR\r\n...",
                      description="The mission; with `Accept: text/calendar`, its calendar.")
    @blp.alt_response(200, content_type="text/html", example="<!doctype html>",
                      description="With `Accept: text/html` preferred (a browser): the "
                      "mission as a page, its timeline and a link to each event's page.")
    def get(self, id: str) -> Any:
        """Get a mission (its calendar with `Accept: text/calendar`, a page for a browser)"""
        if formats.wants_calendar():
            response = formats.calendar_response(id, {})
        else:
            response = get_or_404(Mission, id, f"No mission with id '{id}'.")
            if wants_html():
                page = render_template("mission.html", mission=response,
                                       links=MissionSchema().dump(response)["links"],
                                       events=first_events(Event.mission_id == id),
                                       limit=EMBEDDED_EVENTS)
                response = Response(page, mimetype="text/html")
        return response, 200, {"Vary": "Accept"}
