"""Disputes: every fact the sources disagree on, with each version and its quotes."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from api.models import Claim
from api.queries import filtered_disputes
from api.queries.pagination import listing
from schemas import DisputeQuerySchema, DisputeSchema, page_of

blp = Blueprint("disputes", __name__, url_prefix="/v1/disputes",
                description="Facts the sources disagree on.")


@blp.route("")
class Disputes(MethodView):
    @blp.arguments(DisputeQuerySchema(), location="query")
    @blp.response(200, page_of(DisputeSchema))
    def get(self, args: dict[str, Any]) -> Any:
        """List disputed facts

        Each item is one fact of an event (`event`) or a source (`source`) the sources
        disagree on: the field it concerns and every version (`values`), each with the
        quotes that give it (within the event's citations, or the source's own text).
        `GET /v1/events?disputed=true` lists the events that have any.
        """
        return listing(filtered_disputes(args), (Claim.id,), args)
