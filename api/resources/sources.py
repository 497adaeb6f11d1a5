"""Sources: the articles every fact is cited from."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from schemas import PageQuerySchema, SourceDetailSchema, SourceSchema, page_of

from ..extensions import db
from ..models import Citation, Event, Source
from ..pagination import paginate
from .events import first_events

blp = Blueprint("sources", __name__, url_prefix="/v1/sources", description="Cited sources.")


@blp.route("")
class Sources(MethodView):
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, page_of(SourceSchema))
    def get(self, args: dict[str, Any]) -> Any:
        """List sources"""
        _, page, headers = paginate(select(Source), (Source.id,), args)
        return page, 200, headers


@blp.route("/<string:id>", endpoint="Source")
class SourceItem(MethodView):
    @blp.response(200, SourceDetailSchema)
    def get(self, id: str) -> Source:
        """Get a source, with the events it supports"""
        source = db.get_or_404(Source, id, description=f"No source with id '{id}'.")
        source.events = first_events(Event.citations.any(Citation.source_id == id))
        return source
