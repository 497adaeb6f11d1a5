"""An event's history: every revision, oldest first."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from api import queries
from api.domain import history
from api.http.errors import Problem
from api.models import Event
from api.queries.pagination import paginate
from schemas import RevisionQuerySchema, RevisionSchema, page_of

blp = Blueprint("revisions", __name__, url_prefix="/v1/events", description="Event history.")


@blp.route("/<string:id>/revisions", endpoint="EventRevisions")
class EventRevisions(MethodView):
    @blp.arguments(RevisionQuerySchema, location="query")
    @blp.response(200, page_of(RevisionSchema))
    def get(self, args: dict[str, Any], id: str) -> Any:
        """List an event's revisions (deleted events' too)

        Each says who changed the event (token name, or `seed`), when (UTC), which fields
        changed, and the event as it was afterwards. `GET /v1/events/{id}?as_of=` shows
        the event at any moment.
        """
        if not queries.taken(Event, id):
            raise Problem(404, f"No event with id '{id}'.")
        _, page, headers = paginate(history.revisions(id), (history.Revision.number,), args)
        return page, 200, headers
