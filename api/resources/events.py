"""Events: the cited facts of the timeline."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response, abort, g, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from schemas import AsOfQuerySchema, EventQuerySchema, EventSchema, dates, page_of

from .. import fragments, history, search, writes
from ..auth import require, utcnow
from ..errors import problem
from ..extensions import db
from ..history import snapshot
from ..models import Citation, Event, EventPerson
from ..pagination import paginate
from ..seed import event_references
from ..store import apply

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


def load_events(ids: list[str]) -> list[Event]:
    """The events ``ids`` with their details (in no particular order)."""
    return list(db.session.scalars(select(Event).where(Event.id.in_(ids)).options(*WITH_DETAILS)))


def events_page_response(args: dict[str, Any]) -> Response:
    """The response of ``events_page``: one query for the page's ids and versions, then
    only the events whose JSON is not memoised are loaded and dumped (api/fragments.py)."""
    keys = filtered_events(args).with_only_columns(Event.id, Event.version, Event.earliest)
    rows, page, headers = paginate(keys, SORT_KEYS, args, descending=args["sort"] == "-start",
                                   rows=True)
    items = fragments.render(rows, load_events, EventSchema)
    return fragments.json_response(fragments.page(items, page["next"]), headers)


def event_response(id: str) -> Response:
    """The response of a GET of the event ``id`` (as ``get_event`` finds it, dumped by
    ``EventSchema``), its JSON memoised by version."""
    row = db.session.execute(select(Event.id, Event.version, Event.deleted_at)
                             .where(Event.id == id).execution_options(include_deleted=True)
                             ).first()
    found = fragments.render([row], load_events, EventSchema) if row else []
    if not found or row.deleted_at is not None:
        get_event(id)  # 404 or 410
    return fragments.json_response(found[0])


def get_event(id: str) -> Event:
    """The event ``id`` with its details: 404 if it never existed, 410 if it was deleted."""
    event = db.session.scalar(select(Event).where(Event.id == id).options(*WITH_DETAILS)
                              .execution_options(include_deleted=True))
    if event is None:
        abort(404, description=f"No event with id '{id}'.")
    if event.deleted_at is not None:
        abort(problem(410, f"The event '{id}' was deleted; its history stays at "
                      f"{url_for('revisions.EventRevisions', id=id, _external=True)}."))
    return event


@blp.route("")
class Events(MethodView):
    @blp.arguments(EventQuerySchema, location="query", as_kwargs=False)
    @blp.response(200, page_of(EventSchema))
    def get(self, args: dict[str, Any]) -> Any:
        """List events

        Filters combine; `from`/`to` match every event whose possible days overlap the
        range, at the precision of both dates. Pages follow `next` or the `Link` header.
        """
        return events_page_response(args)

    @require("write")
    @blp.doc(requestBody={"content": {"application/json": {"schema": EventSchema}}})
    @blp.response(201, EventSchema)
    def post(self) -> Any:
        """Create an event (curators)

        The body is an event as in `seeds/events.yaml`; quotes are checked against their
        source's text when it is known. An id is never reused, even after a delete (409).
        """
        data = writes.load(EventSchema(), writes.json_body())
        if writes.taken(Event, data["id"]):
            abort(problem(409, f"The id '{data['id']}' is taken (ids of deleted events too)."))
        writes.check_references(event_references(data))
        event = Event(id=data["id"])
        db.session.add(event)
        apply(event, data)
        writes.save_event(event, "create")
        return writes.answer(get_event(event.id), EventSchema(), 201, "events.Event")


@blp.route("/<string:id>", endpoint="Event")
class EventItem(MethodView):
    @blp.arguments(AsOfQuerySchema, location="query")
    @blp.response(200, EventSchema)
    @blp.alt_response(410, description="The event was deleted (or had been, at `as_of`).")
    def get(self, args: dict[str, Any], id: str) -> Event | Response:
        """Get an event, with its citations and people

        With `as_of`, the event as its revision history had it at that moment.
        """
        if "as_of" in args:
            return event_as_of(id, args["as_of"])
        return event_response(id)

    @require("write")
    @blp.doc(requestBody={"content": {"application/merge-patch+json": {"schema": EventSchema}}})
    @blp.response(200, EventSchema)
    def patch(self, id: str) -> Any:
        """Change an event (curators; needs If-Match)

        Send only the fields to change (a list such as `citations` is replaced whole), with
        `If-Match` set to the ETag of your GET: 428 without it, 412 if the event changed.
        """
        body = writes.json_body()
        event = get_event(id)
        writes.check_if_match(writes.etag(EventSchema(), event))
        data = writes.load(EventSchema(), writes.merged(snapshot(event), body))
        writes.check_references(event_references(data))
        writes.claim(event)
        apply(event, data)
        writes.save_event(event)
        return writes.answer(get_event(id), EventSchema(), 200, "events.Event")

    @require("write")
    @blp.response(204)
    def delete(self, id: str) -> None:
        """Delete an event (curators; needs If-Match)

        The event leaves every list and answers 410 Gone; its revisions stay, and its id
        is never used again.
        """
        event = get_event(id)
        writes.check_if_match(writes.etag(EventSchema(), event))
        writes.claim(event)
        event.deleted_at = utcnow()
        history.record(event, g.curator, "delete")
        writes.commit()


def event_as_of(id: str, moment: dt.datetime) -> Event:
    """The event ``id`` as it was at ``moment``: 404 before it existed, 410 once deleted."""
    if not writes.taken(Event, id):
        abort(404, description=f"No event with id '{id}'.")
    revision = history.as_of(id, moment.astimezone(dt.UTC).replace(tzinfo=None))
    if revision is None:
        abort(404, description=f"No event with id '{id}' existed at {moment.isoformat()}.")
    if revision.action == "delete":
        abort(problem(410, f"The event '{id}' had been deleted by {moment.isoformat()}."))
    return history.rebuild(revision)
