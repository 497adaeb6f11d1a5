"""The text an event is found by, beyond its title, type and summary: ``search_text``.

Everything else a reader sees of an event, one line per field of ``FIELDS``: the note,
location, tags, people's names with every alias recorded for them and the quotes (not
the mission's name: every event of a mission would match it; nor the cited sources'
titles: a headline is about the article, and an event citing it is seldom about that).
The full-text index (migration 0009) covers ``title``, ``type``, ``summary`` and this
column; api/queries/search.py reads the line numbers back to say which field matched.

One function builds the text (``document``); ORM writes refresh it before each commit
(``reindex``, called by api/domain/store.py), the bulk load of api/cli/synth.py calls
``document`` for its rows, and migrations 0009 and 0014 fill it for existing rows with ``reindex``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from api.models import Citation, Event, EventPerson, Person
from schemas.eventlist import SEARCHED_FIELDS

FIELDS = SEARCHED_FIELDS[3:]  # after the title, type and summary, which have columns
CHUNK = 500


def batched(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    return (items[i:i + size] for i in range(0, len(items), size))


def _line(value: str | Sequence[str] | None) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        value = " · ".join(v for v in value if v)
    return " ".join(value.split())  # one line: the line number names the field


def document(values: Mapping[str, str | Sequence[str] | None]) -> str:
    """The search text of an event from ``values`` (keys of ``FIELDS``; lists allowed)."""
    return "\n".join(_line(values.get(field)) for field in FIELDS)


def person_names(name: str, aliases: Iterable[str] | None) -> list[str]:
    """A person as the index holds them: the name, then every other recorded spelling."""
    return [name, *(alias for alias in aliases or () if alias != name)]


def documents(conn: Connection, ids: Sequence[str]) -> dict[str, str]:
    """The search text of the events ``ids`` (deleted ones too), read with Core queries."""
    out: dict[str, str] = {}
    for chunk in batched(ids, CHUNK):
        parts: dict[str, dict[str, Any]] = {}
        for row in conn.execute(select(Event.id, Event.note, Event.location, Event.tags)
                                .where(Event.id.in_(chunk))):
            parts[row.id] = {"note": row.note, "location": row.location,
                             "tags": row.tags or [], "people": [], "quotes": []}
        for row in conn.execute(select(EventPerson.event_id, Person.name, Person.aliases)
                                .join(Person, Person.id == EventPerson.person_id)
                                .where(EventPerson.event_id.in_(chunk))
                                .order_by(EventPerson.event_id, EventPerson.position)):
            if row.event_id in parts:
                parts[row.event_id]["people"] += person_names(row.name, row.aliases)
        for row in conn.execute(select(Citation.event_id, Citation.quote)
                                .where(Citation.event_id.in_(chunk))
                                .order_by(Citation.event_id, Citation.position)):
            if row.event_id in parts:
                parts[row.event_id]["quotes"].append(row.quote)
        out.update((id, document(values)) for id, values in parts.items())
    return out


def reindex(conn: Connection, ids: Iterable[str]) -> int:
    """Refresh ``search_text`` of the events ``ids`` (whose index follows by trigger on
    SQLite, as a generated column on PostgreSQL); returns how many changed."""
    ids = sorted(set(ids))
    texts = documents(conn, ids)
    current = {}
    for chunk in batched(ids, CHUNK):
        current.update((id, text) for id, text in conn.execute(
            select(Event.id, Event.search_text).where(Event.id.in_(chunk))))
    changed = [{"b_id": id, "b_text": text} for id, text in texts.items()
               if current.get(id) != text]
    if changed:
        table = Event.__table__
        conn.execute(update(table).where(table.c.id == bindparam("b_id"))
                     .values(search_text=bindparam("b_text")), changed)
    return len(changed)
