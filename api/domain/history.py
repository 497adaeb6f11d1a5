"""Every change to an event, a person or a source, kept as a revision: who, when, what
changed, and the result (the record's seed-file form)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from marshmallow.experimental.context import Context
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from api.domain.quotes import unverifiable
from api.domain.store import apply
from api.extensions import db
from api.models import (
    Citation,
    Claim,
    Event,
    EventPerson,
    Person,
    RecordRevision,
    Revision,
    Source,
    utcnow,
)
from schemas import EventSchema, PersonSchema, SourceSchema, dates
from schemas.dates import RECORDED
from schemas.seedform import seed_form

ACTIONS = ("create", "update", "delete")
# People and sources: their kind in ``record_revisions`` and the schema of their snapshot.
TRACKED: dict[type[db.Model], tuple[str, type[Any]]] = {
    Person: ("person", PersonSchema), Source: ("source", SourceSchema)}
# Who made the first revision of a record that existed before its history began.
UNRECORDED = "unrecorded"


def snapshot(event: Event) -> dict[str, Any]:
    """The event as its seed-file record (what a revision keeps)."""
    return seed_form(EventSchema, event)


def latest(event_id: str) -> Revision | None:
    """The event's last revision."""
    return db.session.scalar(select(Revision).where(Revision.event_id == event_id)
                             .order_by(Revision.number.desc()).limit(1))


def _keep(model: Any, key: dict[str, str], state: dict[str, Any], who: str,
          action: str) -> Any:
    """Add a revision of ``model`` (keyed by ``key``) holding ``state``, unless it equals
    the last one; the first revision of a record is its creation."""
    last = db.session.scalar(select(model).filter_by(**key)
                             .order_by(model.number.desc()).limit(1))
    if last is None:
        action = "create"
    elif action != "delete" and last.action != "delete" and last.snapshot == state:
        return None
    before = last.snapshot if last else {}
    revision = model(
        **key, number=last.number + 1 if last else 1, at=utcnow(), who=who, action=action,
        changed=[k for k in state if k not in before or before[k] != state[k]], snapshot=state,
    )
    db.session.add(revision)
    return revision


def record(event: Event, who: str, action: str = "update") -> Revision | None:
    """Keep the event's current state as a new revision, unless it equals the last one."""
    revision = _keep(Revision, {"event_id": event.id}, snapshot(event), who, action)
    if revision is not None:
        event.changed_at = revision.at
    return revision


def _key(obj: Any) -> dict[str, str]:
    return {"kind": TRACKED[type(obj)][0], "record_id": obj.id}


def record_other(obj: Any, who: str, action: str = "update") -> RecordRevision | None:
    """Keep a person's or a source's current state as a new revision (as ``record``)."""
    return _keep(RecordRevision, _key(obj), seed_form(TRACKED[type(obj)][1], obj), who, action)


def baseline(obj: Any) -> None:
    """Before a person or a source changes: keep its current state if no revision has it
    yet (it existed before history began), so the change never loses the old values."""
    if db.session.scalar(select(RecordRevision.id).filter_by(**_key(obj)).limit(1)) is None:
        record_other(obj, UNRECORDED, "create")


def other_revisions(model: type[db.Model], record_id: str) -> Any:
    """The select of a person's or a source's revisions (for ``paginate``, by number)."""
    return select(RecordRevision).filter_by(kind=TRACKED[model][0], record_id=record_id)


def record_all(who: str, event_ids: list[str]) -> bool:
    """Record a revision of each of these events that changed since its last one, in
    timeline order (so their revision times, and the feeds ordered by them, do not depend
    on the order the database happens to return rows in)."""
    events = db.session.scalars(
        select(Event).where(Event.id.in_(event_ids))
        .options(selectinload(Event.citations), selectinload(Event.people),
                 selectinload(Event.claims))
        .order_by(Event.earliest, Event.day_order, Event.id)
    )
    return any([record(event, who) is not None for event in events])


def revisions(event_id: str) -> Any:
    """The select of an event's revisions (for ``paginate``, keyed by number)."""
    return select(Revision).where(Revision.event_id == event_id)


def as_of(event_id: str, moment: dt.datetime) -> Revision | None:
    """The revision in force at ``moment`` (UTC, naive), or None before the first."""
    return db.session.scalar(
        select(Revision).where(Revision.event_id == event_id, Revision.at <= moment)
        .order_by(Revision.number.desc()).limit(1)
    )


def rebuild(revision: Revision) -> Event:
    """A detached event as the revision recorded it, ready to render like a live one.

    A revision recorded before dates needed a basis loads as it was recorded.
    """
    with Context({RECORDED: True}):
        data = EventSchema().load(revision.snapshot)
    # A citation that still exists keeps its id (its address); one since removed has none.
    ids = {(source, quote): ident for ident, source, quote in db.session.execute(
        select(Citation.id, Citation.source_id, Citation.quote)
        .where(Citation.event_id == revision.event_id))}
    citations = [Citation(id=ids.get((c["source_id"], c["quote"])),
                          event_id=revision.event_id, position=i, **c,
                          source=db.session.get(Source, c["source_id"]))
                 for i, c in enumerate(data.pop("citations"))]
    people = [EventPerson(position=i, **p, person=db.session.get(Person, p["person_id"]))
              for i, p in enumerate(data.pop("people"))]
    claims = [Claim(position=i, **c) for i, c in enumerate(data.pop("claims"))]
    unverifiable(citations)  # sets each citation's offsets against today's source text
    return Event(**data, citations=citations, people=people, claims=claims)


def rebuild_other(model: type[db.Model], revision: RecordRevision) -> Any:
    """A detached person or source as the revision recorded it (as ``rebuild``)."""
    with Context({RECORDED: True}):
        data = TRACKED[model][1]().load(revision.snapshot)
    record = model(id=data["id"])
    apply(record, data)
    return record


def mission_as_of(mission_id: str, moment: dt.datetime, limit: int) -> list[Event]:
    """Mission ``mission_id``'s events as their revisions had them at ``moment`` (naive
    UTC), in timeline order: each event's latest revision by then, deletions left out;
    at most ``limit`` (the first by today's start). An event never revised (bulk-loaded)
    has no past: it is not shown."""
    latest = (select(Revision.event_id, func.max(Revision.number).label("number"))
              .where(Revision.at <= moment).group_by(Revision.event_id).subquery())
    stmt = (select(Revision)
            .join(latest, (Revision.event_id == latest.c.event_id)
                  & (Revision.number == latest.c.number))
            .join(Event, Event.id == Revision.event_id)
            .where(Event.mission_id == mission_id, Revision.action != "delete")
            .order_by(Event.earliest, Event.id).limit(limit)
            .execution_options(include_deleted=True))
    events = [rebuild(revision) for revision in db.session.scalars(stmt).all()]
    return sorted((event for event in events if event.mission_id == mission_id),
                  key=lambda event: (dates.earliest(event.start["date"]), event.id))
