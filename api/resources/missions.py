"""Missions: the frames events belong to."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from api.http.errors import get_or_404
from api.models import Mission
from api.queries.pagination import listing
from api.resources import formats
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
    def get(self, id: str) -> Any:
        """Get a mission (or, with `Accept: text/calendar`, its calendar)"""
        if formats.wants_calendar():
            response = formats.calendar_response(id, {})
        else:
            response = get_or_404(Mission, id, f"No mission with id '{id}'.")
        return response, 200, {"Vary": "Accept"}
