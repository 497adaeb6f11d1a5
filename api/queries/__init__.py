"""The query layer: which events a request means, loaded with what they show.

Resources, formats and the command line all ask for events through these functions, so a
filter means the same everywhere.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import url_for
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import selectinload

from api.domain import history
from api.extensions import db
from api.http.errors import Problem
from api.models import Citation, Claim, Event, EventPerson
from api.queries import search
from api.queries.pagination import paginate
from schemas import dates

# Everything an event's representation shows, loaded in a fixed number of queries.
WITH_DETAILS = (
    selectinload(Event.citations).joinedload(Citation.source),
    selectinload(Event.people).joinedload(EventPerson.person),
    selectinload(Event.claims),
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
    if "disputed" in args:
        stmt = stmt.where(Event.claims.any() if args["disputed"] else ~Event.claims.any())
    if "from_" in args:  # overlap: the event's last possible day is on or after `from`
        stmt = stmt.where(Event.latest >= dates.earliest(args["from_"]))
    if "to" in args:
        stmt = stmt.where(Event.earliest <= dates.latest(args["to"]))
    if "q" in args:
        stmt = stmt.where(search.matches(args["q"]))
    return stmt


def filtered_disputes(args: dict[str, Any]) -> Select:
    """The claims (disputed facts) matching ``DisputeQuerySchema``, of live events or of
    sources, unordered."""
    live = select(Event.id)  # deleted events are left out of every select of Event
    stmt = select(Claim).where(or_(Claim.event_id.in_(live), Claim.source_id.is_not(None)))
    if "field" in args:
        stmt = stmt.where(Claim.field == args["field"])
    if "kind" in args:
        column = Claim.event_id if args["kind"] == "event" else Claim.source_id
        stmt = stmt.where(column.is_not(None))
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


def event_versions_page(args: dict[str, Any]) -> tuple[list[Any], dict[str, Any], dict[str, str]]:
    """One page of ``events_page``, as ``(id, version, earliest)`` rows: what a memo of
    rendered events needs to know which it holds (api/http/cache/fragments.py)."""
    keys = filtered_events(args).with_only_columns(Event.id, Event.version, Event.earliest)
    return paginate(keys, SORT_KEYS, args, descending=args["sort"] == "-start", rows=True)


def load_events(ids: list[str]) -> list[Event]:
    """The events ``ids`` with their details (in no particular order)."""
    return list(db.session.scalars(select(Event).where(Event.id.in_(ids)).options(*WITH_DETAILS)))


def get_event(id: str) -> Event:
    """The event ``id`` with its details: 404 if it never existed, 410 if it was deleted."""
    event = db.session.scalar(select(Event).where(Event.id == id).options(*WITH_DETAILS)
                              .execution_options(include_deleted=True))
    if event is None:
        raise Problem(404, f"No event with id '{id}'.")
    if event.deleted_at is not None:
        raise Problem(410, f"The event '{id}' was deleted; its history stays at "
                      f"{url_for('revisions.EventRevisions', id=id, _external=True)}.")
    return event


def event_as_of(id: str, moment: dt.datetime) -> Event:
    """The event ``id`` as it was at ``moment``: 404 before it existed, 410 once deleted."""
    if not taken(Event, id):
        raise Problem(404, f"No event with id '{id}'.")
    revision = history.as_of(id, moment.astimezone(dt.UTC).replace(tzinfo=None))
    if revision is None:
        raise Problem(404, f"No event with id '{id}' existed at {moment.isoformat()}.")
    if revision.action == "delete":
        raise Problem(410, f"The event '{id}' had been deleted by {moment.isoformat()}.")
    return history.rebuild(revision)


def taken(model: type[db.Model], ident: str) -> bool:
    """Whether ``ident`` is in use, deleted events included (ids are never reused)."""
    stmt = select(model.id).where(model.id == ident).execution_options(include_deleted=True)
    return db.session.scalar(stmt) is not None


def cited(column: Any, ident: str) -> bool:
    """Whether any citation or role (deleted events' too) refers to ``ident``."""
    return db.session.scalar(select(column).where(column == ident).limit(1)) is not None
