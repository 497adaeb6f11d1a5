"""Citations: add, correct or remove one quote of an event without resending the event."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from api.extensions import db
from api.http import writes
from api.http.auth import require
from api.http.cache import keys
from api.http.errors import Problem, get_or_404
from api.models import Citation, Event, Source
from api.queries import get_event
from api.queries.pagination import listing
from schemas import CitationPatchSchema, CitationSchema, PageQuerySchema, page_of

blp = Blueprint("citations", __name__, url_prefix="/v1", description="Citations of events.")


def get_citation(id: int) -> Citation:
    """The citation ``id``: 404 if unknown, 410 if its event was deleted."""
    citation = get_or_404(Citation, id, f"No citation with id {id}.")
    get_event(citation.event_id)  # 410 once the event is deleted
    return citation


def _answer(citation_id: int, status: int) -> tuple[Citation, int, dict[str, str]]:
    citation = get_citation(citation_id)
    location = url_for("citations.Citation", id=citation_id, _external=True)
    return citation, status, {"ETag": f'"{writes.etag(CitationSchema(), citation)}"',
                              "Location": location}


def _claimed(id: int) -> tuple[Citation, Event]:
    """The citation and its event, claimed for a change the If-Match allows.

    Every change of a citation claims (compare-and-swap) its event, and the citation is
    read again once the claim holds: read before its event, it could predate a change
    committed in between, which the event's version would not betray."""
    citation = get_citation(id)
    writes.check_if_match(writes.etag(CitationSchema(), citation))  # 428/412 early
    event = get_event(citation.event_id)
    writes.claim(event)
    db.session.refresh(citation)
    writes.check_if_match(writes.etag(CitationSchema(), citation))
    return citation, event


def _renumber(event: Event) -> None:
    for position, citation in enumerate(event.citations):
        citation.position = position


@blp.route("/events/<string:id>/citations", endpoint="EventCitations")
class EventCitations(MethodView):
    @blp.arguments(PageQuerySchema(), location="query")
    @blp.response(200, page_of(CitationSchema))
    def get(self, args: dict[str, Any], id: str) -> Any:
        """List an event's citations"""
        get_event(id)
        stmt = select(Citation).where(Citation.event_id == id).options(joinedload(Citation.source))
        return listing(stmt, (Citation.position,), args)

    @require("write")
    @writes.body(blp, CitationSchema)
    @blp.response(201, CitationSchema)
    def post(self, data: dict[str, Any], id: str) -> Any:
        """Add a citation to an event (curators)

        The quote is checked against the source's text when it is known (422 if absent).
        """
        event = get_event(id)
        writes.check_references([("source", Source, data["source_id"])])
        writes.claim(event)
        citation = Citation(position=len(event.citations), **data)
        event.citations.append(citation)
        writes.save_event(event)
        return _answer(citation.id, 201)


@blp.route("/citations/<int:id>", endpoint="Citation")
class CitationItem(MethodView):
    @blp.response(200, CitationSchema)
    def get(self, id: int) -> Citation:
        """Get a citation, with where its quote occurs in the source"""
        citation = get_citation(id)
        keys.show(f"citation:{id}", f"event:{citation.event_id}", f"source:{citation.source_id}")
        return citation

    @require("write")
    @writes.body(blp, CitationPatchSchema, writes.MERGE_PATCH)
    @blp.response(200, CitationSchema)
    def patch(self, patch: dict[str, Any], id: int) -> Any:
        """Change a citation (curators; needs If-Match)"""
        citation, event = _claimed(id)
        data = writes.load(CitationSchema(), writes.merged(CitationSchema, citation, patch))
        writes.check_references([("source", Source, data["source_id"])])
        for key, value in data.items():
            setattr(citation, key, value)
        writes.save_event(event)
        return _answer(id, 200)

    @require("write")
    @blp.response(204)
    @blp.alt_response(409, description="The event's only citation: an event needs one.")
    def delete(self, id: int) -> None:
        """Remove a citation (curators; needs If-Match)"""
        citation, event = _claimed(id)
        if len(event.citations) == 1:
            raise Problem(409, "An event needs at least one citation: add another "
                               "first, or delete the event.")
        event.citations.remove(citation)
        _renumber(event)
        writes.save_event(event)
