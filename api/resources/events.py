"""Events: the cited facts of the timeline."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from schemas import EventQuerySchema, EventSchema, dates, page_of

from .. import search
from ..extensions import db
from ..models import Citation, Event, EventPerson
from ..pagination import paginate

blp = Blueprint("events", __name__, url_prefix="/v1/events", description="Cited events.")

# Everything an event's representation shows, loaded in a fixed number of queries.
WITH_DETAILS = (
    selectinload(Event.citations).joinedload(Citation.source),
    selectinload(Event.people).joinedload(EventPerson.person),
)
SORT_KEYS = (Event.earliest, Event.id)


def filtered_events(args: dict[str, Any]) -> Select:
    """The events matching the filters of ``EventQuerySchema``, unordered."""
    stmt = select(Event)
    for arg, column in (("mission", Event.mission_id), ("type", Event.type),
                        ("status", Event.status)):
        if arg in args:
            stmt = stmt.where(column == args[arg])
    if "person" in args:
        stmt = stmt.where(Event.people.any(EventPerson.person_id == args["person"]))
    if "source" in args:
        stmt = stmt.where(Event.citations.any(Citation.source_id == args["source"]))
    if "from_" in args:  # overlap: the event's last possible day is on or after `from`
        stmt = stmt.where(Event.latest >= dates.earliest(args["from_"]))
    if "to" in args:
        stmt = stmt.where(Event.earliest <= dates.latest(args["to"]))
    if "q" in args:
        stmt = stmt.where(search.matches(args["q"]))
    return stmt


EMBEDDED_EVENTS = 100


def first_events(condition: Any) -> list[Event]:
    """The first events (by start) matching ``condition``, for embedding in a detail view."""
    stmt = select(Event).where(condition).order_by(*SORT_KEYS).limit(EMBEDDED_EVENTS)
    return list(db.session.scalars(stmt))


def events_page(args: dict[str, Any]) -> tuple[list[Event], dict[str, Any], dict[str, str]]:
    """One page of filtered events with their details, in the requested order."""
    stmt = filtered_events(args).options(*WITH_DETAILS)
    return paginate(stmt, SORT_KEYS, args, descending=args["sort"] == "-start")


@blp.route("")
class Events(MethodView):
    @blp.arguments(EventQuerySchema, location="query", as_kwargs=False)
    @blp.response(200, page_of(EventSchema))
    def get(self, args: dict[str, Any]) -> Any:
        """List events

        Filters combine; `from`/`to` match every event whose possible days overlap the
        range, at the precision of both dates. Pages follow `next` or the `Link` header.
        """
        _, page, headers = events_page(args)
        return page, 200, headers


@blp.route("/<string:id>", endpoint="Event")
class EventItem(MethodView):
    @blp.response(200, EventSchema)
    def get(self, id: str) -> Event:
        """Get an event, with its citations and people"""
        return db.first_or_404(
            select(Event).where(Event.id == id).options(*WITH_DETAILS),
            description=f"No event with id '{id}'.",
        )
