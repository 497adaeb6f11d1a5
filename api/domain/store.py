"""Writing validated records into the database, changing only what differs."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema
from sqlalchemy import Text, cast, or_, select

from api.extensions import db
from api.models import Citation, Claim, Event, EventPerson, Mission, Person, Source
from schemas import EventSchema, MissionSchema, PersonSchema, SourceSchema

# The kinds of record, in load order (what a record refers to comes first): the seed file
# holding them, their model and their schema (seeds, export and the snapshot share it).
KINDS: tuple[tuple[str, type[db.Model], type[Schema]], ...] = (
    ("missions.yaml", Mission, MissionSchema),
    ("sources.yaml", Source, SourceSchema),
    ("people.yaml", Person, PersonSchema),
    ("events.yaml", Event, EventSchema),
)
# Ordered lists of child rows, matched to the new data by position.
CHILDREN: dict[str, type[db.Model]] = {"citations": Citation, "people": EventPerson,
                                       "claims": Claim}


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


def taken(model: type[db.Model], ident: str) -> bool:
    """Whether ``ident`` is in use, deleted events included (ids are never reused)."""
    stmt = select(model.id).where(model.id == ident).execution_options(include_deleted=True)
    return db.session.scalar(stmt) is not None


def cited(column: Any, ident: str) -> bool:
    """Whether any citation or role (deleted events' too) refers to ``ident``."""
    return db.session.scalar(select(column).where(column == ident).limit(1)) is not None


def own_dates(obj: Any) -> dict[str, dict[str, Any] | None]:
    """A record's dates that may have a basis, by field name."""
    if isinstance(obj, Event):
        return {"start": obj.start, "end": obj.end}
    return {"stated_date": obj.stated_date, "written_date": obj.written_date}
