"""Facet counts: how many of the filtered events have each type, status, person, tag...
("launch (3) docking (1)"), for a page to show beside its list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, cast, desc, func, select, true
from sqlalchemy.dialects.postgresql import JSONB

from api.extensions import db
from api.models import Event, EventPerson


def _value(facet: str) -> tuple[Any, Select]:
    """The column counted for ``facet`` and the select of events it is read from."""
    if facet == "person":
        return EventPerson.person_id, select().select_from(Event).join(
            EventPerson, EventPerson.event_id == Event.id)
    if facet == "tag":
        if db.engine.dialect.name == "postgresql":
            tags = func.jsonb_array_elements_text(cast(Event.tags, JSONB)).table_valued("value")
        else:
            tags = func.json_each(Event.tags).table_valued("value")
        return tags.c.value, select().select_from(Event).join(tags, true())
    # type and status are counted from covering indexes (migrations 0018 and 0019)
    column = {"type": Event.type, "status": Event.status, "mission": Event.mission_id,
              "precision": Event.start["precision"].as_string()}[facet]
    return column, select().select_from(Event)


def facet_counts(narrow: Callable[[Select], Select], names: tuple[str, ...]
                 ) -> dict[str, list[dict[str, Any]]]:
    """For each facet of ``names``, its values among the events ``narrow`` (a query's
    filters) leaves, each with how many events have it, most first."""
    out = {}
    for facet in names:
        column, base = _value(facet)
        # one row per event and value (an event lists a person once), but a tag may repeat
        count = func.count(Event.id.distinct()) if facet == "tag" else func.count()
        stmt = narrow(base.add_columns(column.label("value"), count))
        stmt = stmt.group_by(column).order_by(desc(count), column)
        out[facet] = [{"value": value, "count": n} for value, n in db.session.execute(stmt)
                      if value is not None]
    return out
