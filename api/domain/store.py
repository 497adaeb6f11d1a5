"""Writing validated records into the database, changing only what differs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Text, cast, event, or_, select, update
from sqlalchemy.orm import Session

from api.domain import searchtext
from api.extensions import db
from api.models import (
    Citation,
    Claim,
    DataVersion,
    Event,
    EventPerson,
    Mission,
    Person,
    Source,
)

# Ordered lists of child rows, matched to the new data by position.
CHILDREN: dict[str, type[db.Model]] = {"citations": Citation, "people": EventPerson,
                                       "claims": Claim}
# Set in ``session.info`` by ``touch()``: the response cache expires on that commit.
CHANGED = "api.data_changed"
# Also in ``session.info``: the data version ``touch()`` gave this transaction, and what its
# flushes changed that events show (the events, and the sources and people they show).
VERSION, SHOWN = "api.data_version", "api.shown_changes"


def _apply_children(obj: Any, key: str, items: list[dict[str, Any]]) -> bool:
    rows, changed = getattr(obj, key), False
    for position, item in enumerate(items):
        if position < len(rows):
            changed |= apply(rows[position], item)
        else:
            rows.append(CHILDREN[key](position=position, **item))
            changed = True
    if len(rows) > len(items):
        del rows[len(items):]
        changed = True
    return changed


def apply(obj: Any, data: dict[str, Any]) -> bool:
    """Set ``obj``'s attributes from loaded ``data``; True when anything changed."""
    changed = False
    for key, value in data.items():
        if key in CHILDREN:
            changed |= _apply_children(obj, key, value)
        elif getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def event_references(data: dict[str, Any]) -> list[tuple[str, type[db.Model], str]]:
    """What a loaded event refers to, as ``(field, model, id)``."""
    refs = [("mission", Mission, data["mission_id"])]
    refs += [(f"citations.{i}.source", Source, c["source_id"])
             for i, c in enumerate(data["citations"])]
    refs += [(f"people.{i}.person", Person, p["person_id"])
             for i, p in enumerate(data["people"])]
    refs += [(f"{name}.basis.reference", Event if ref["kind"] == "event" else Source, ref["id"])
             for name in ("start", "end")
             if (ref := ((data.get(name) or {}).get("basis") or {}).get("reference"))]
    return refs


def reference_date(kind: str, ident: str) -> str | None:
    """The date a basis refers to: an event's start, or the day a source was written."""
    if kind == "event":
        found = db.session.get(Event, ident)
        return found.start["date"] if found and found.deleted_at is None else None
    source = db.session.get(Source, ident)
    return source.written_date["date"] if source and source.written_date else None


def dependents(kind: str, ident: str) -> list[Event | Source]:
    """The events and sources with a date whose basis refers to ``kind`` ``ident``."""
    wanted, found = {"kind": kind, "id": ident}, []
    for model, names in ((Event, ("start", "end")), (Source, ("stated_date", "written_date"))):
        columns = [getattr(model, name) for name in names]
        # A cheap filter on the JSON text first; then the exact test on the dates.
        stmt = select(model).where(
            or_(*(cast(c, Text).contains(ident, autoescape=True) for c in columns)))
        found += [record for record in db.session.scalars(stmt)
                  if any(((date or {}).get("basis") or {}).get("reference") == wanted
                         for date in own_dates(record).values())]
    return found


def label(record: Event | Source) -> str:
    """A record as messages name it: ``event 'id'``, ``source 'id'``."""
    return f"{'event' if isinstance(record, Event) else 'source'} '{record.id}'"


def derived_from(kind: str, ident: str) -> list[str]:
    """The events and sources (as ``event 'id'``) with a date whose basis refers to
    ``kind`` ``ident``: what a delete of it would leave without a reference."""
    return [label(record) for record in dependents(kind, ident)]


def own_dates(obj: Any) -> dict[str, dict[str, Any] | None]:
    """A record's dates that may have a basis, by field name."""
    if isinstance(obj, Event):
        return {"start": obj.start, "end": obj.end}
    return {"stated_date": obj.stated_date, "written_date": obj.written_date}


def touch() -> int:
    """Record, inside the current transaction, that the data changed; returns the new
    data version.

    Every write path calls this before committing, so anything derived from the data
    (cached representations, ETags) can tell it is out of date. Versions are unique over
    time: concurrent writers queue on the one ``data_version`` row.
    """
    db.session.info[CHANGED] = True
    version = db.session.scalar(
        update(DataVersion).values(version=DataVersion.version + 1)
        .returning(DataVersion.version).execution_options(synchronize_session=False)
    )
    if version is None:
        db.session.add(DataVersion(id=1, version=1))
        version = 1
    db.session.info[VERSION] = version
    return version


def data_version() -> int:
    """The number of committed changes so far."""
    return db.session.scalar(select(DataVersion.version)) or 0


# Every event whose representation a transaction changes gets that transaction's data
# version as its ``version`` before the commit, so ``(id, version)`` names one
# representation for good (api/http/cache/fragments.py memoises them by it). The
# compare-and-swap of api/http/writes.py only compares the value it read, so it works on
# these values as well.
# ORM writes are tracked here; bulk Core writes (api/cli/synth.py) set the version themselves.


def _track(session: Session, _context: object) -> None:
    shown = session.info.setdefault(SHOWN, (set(), set(), set()))
    events, sources, people = shown
    dirty = (obj for obj in session.dirty if session.is_modified(obj))  # net changes only
    for obj in (*session.new, *dirty, *session.deleted):
        if isinstance(obj, Event):
            events.add(obj.id)
        elif isinstance(obj, Citation | EventPerson):
            events.add(obj.event_id)
        elif isinstance(obj, Claim):
            events.add(obj.event_id)  # None for a source's claim (discarded below)
        elif isinstance(obj, Source):
            sources.add(obj.id)  # its title, publisher and url show in citing events
        elif isinstance(obj, Person):
            people.add(obj.id)  # their name shows in the events involving them


def _reversion(session: Session) -> None:
    session.flush()
    events, sources, people = session.info.pop(SHOWN, (set(), set(), set()))
    events.discard(None)
    if not (events or sources or people):
        return
    version = session.info.get(VERSION) or touch()
    conditions = []
    if events:
        conditions.append(Event.id.in_(events))
    if sources:
        conditions.append(Event.id.in_(
            select(Citation.event_id).where(Citation.source_id.in_(sources))))
    if people:
        conditions.append(Event.id.in_(
            select(EventPerson.event_id).where(EventPerson.person_id.in_(people))))
    session.execute(update(Event).where(or_(*conditions)).values(version=version)
                    .execution_options(synchronize_session=False))
    _reindex(session, conditions)


def _reindex(session: Session, conditions: list[Any]) -> None:
    """Refresh the search text of the events matching any of ``conditions``."""
    ids = session.scalars(select(Event.id).where(or_(*conditions))
                          .execution_options(include_deleted=True))
    searchtext.reindex(session.connection(), list(ids))


def _forget(session: Session) -> None:
    session.info.pop(SHOWN, None)
    session.info.pop(VERSION, None)


event.listen(Session, "after_flush", _track)
event.listen(Session, "before_commit", _reversion)
event.listen(Session, "after_commit", _forget)
event.listen(Session, "after_rollback", _forget)
