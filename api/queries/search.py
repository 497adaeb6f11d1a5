"""Full-text search of events through the database's own index (migration 0004).

PostgreSQL matches the generated ``events.search`` tsvector (GIN index); SQLite the
FTS5 table ``events_fts``. Every word of the query must match the start of a word of
the title or summary, case-insensitively: ``laun`` finds "Launch".
"""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement, false, text

from api.extensions import db

WORD = re.compile(r"[^\W_]+")


def words(query: str) -> list[str]:
    """The words of a search query, as the index splits them (letters and digits)."""
    return WORD.findall(query.lower())


def matches(query: str) -> ColumnElement[bool]:
    """A condition on ``events``: every word of ``query`` is in the title or summary."""
    terms = words(query)
    if not terms:
        return false()
    if db.engine.dialect.name == "postgresql":
        return text("events.search @@ to_tsquery('simple', :fts_query)").bindparams(
            fts_query=" & ".join(f"{term}:*" for term in terms)
        )
    return text(
        "events.rowid IN (SELECT rowid FROM events_fts WHERE events_fts MATCH :fts_query)"
    ).bindparams(fts_query=" ".join(f'"{term}"*' for term in terms))


# What migration 0004 creates outside the models: autogenerate must not drop it.
SEARCH_OBJECTS = ("events_fts", "ix_events_search")


def include_object(obj: object, name: str | None, type_: str, reflected: bool,
                   compare_to: object) -> bool:
    """Alembic autogenerate filter: leave the full-text search objects alone."""
    if not reflected or name is None:
        return True
    if type_ == "column":
        return not (name == "search" and getattr(obj, "table", None) is not None
                    and obj.table.name == "events")  # type: ignore[attr-defined]
    return not name.startswith(SEARCH_OBJECTS)
