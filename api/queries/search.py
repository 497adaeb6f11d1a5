"""Full-text search of events through the database's own index (migration 0009).

Everything a reader sees is searched: the title, type and summary, and ``events.search_text``
(note, location, tags, people's names and aliases, quotes: api/domain/searchtext.py).
Words are stemmed on both databases, so ``docked`` finds "docking"; every word of the query
must match a word somewhere, case- and accent-insensitively, or with a trailing ``*`` the
start of one (``laun*``).

PostgreSQL matches the tsvector ``events.search`` ('english'; title and type weighted A,
summary B, the rest C) and ranks by ``ts_rank``; SQLite matches the FTS5 table
``events_fts`` (porter over unicode61) and ranks by ``bm25`` (title 10, type 20, summary 3,
the rest 1). ``score`` is lower for better matches on both (api/queries/ranking.py).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    bindparam,
    column,
    false,
    func,
    literal_column,
    select,
    text,
)

from api.domain.searchtext import FIELDS
from api.extensions import db
from api.models import Event

WORD = re.compile(r"[^\W_]+\*?")
OPEN, CLOSE = "\x02", "\x03"  # what the database puts around matched words
SNIPPET = 160  # characters of context shown around the first match


def words(query: str) -> list[str]:
    """The words of a search query, as the index splits them (letters and digits); a
    word followed by ``*`` keeps it, and matches as a prefix."""
    return WORD.findall(query.lower())


def _postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def _tsquery(terms: Sequence[str]) -> ColumnElement[Any]:
    return func.to_tsquery(literal_column("'english'::regconfig"),
                           bindparam("fts_query", index_query(terms)))


def _fts_query(terms: Sequence[str]) -> str:
    return " ".join(f'"{t[:-1]}"*' if t.endswith("*") else f'"{t}"' for t in terms)


def index_query(terms: Sequence[str]) -> str:
    """The query the database's index takes for ``terms`` (every word must match)."""
    if _postgres():
        return " & ".join(f"{t[:-1]}:*" if t.endswith("*") else t for t in terms)
    return _fts_query(terms)


FTS = "fts"  # the name of the joined FTS5 results on SQLite


def narrow(stmt: Select, query: str) -> Select:
    """``stmt`` (a select of events) restricted to the events matching ``query``."""
    terms = words(query)
    if not terms:
        return stmt.where(false())
    if _postgres():
        return stmt.where(literal_column("events.search").op("@@")(_tsquery(terms)))
    matches = text("SELECT rowid FROM events_fts WHERE events_fts MATCH :fts_query").bindparams(
        fts_query=_fts_query(terms)).columns(column("rowid", Integer)).subquery(FTS)
    return stmt.join(matches, matches.c.rowid == literal_column("events.rowid"))


def count(query: str) -> int:
    """How many live events match ``query`` (words), counted in the index: on SQLite, the
    index's matches less the deleted events among them (a few), so no event row is read."""
    if _postgres():
        return db.session.scalar(select(func.count()).select_from(
            narrow(select(Event.id), query).subquery())) or 0
    return db.session.scalar(text(
        "SELECT (SELECT count(*) FROM events_fts WHERE events_fts MATCH :fts_query) - "
        "(SELECT count(*) FROM events WHERE deleted_at IS NOT NULL AND EXISTS (SELECT 1 "
        "FROM events_fts WHERE events_fts MATCH :fts_query AND events_fts.rowid = events.rowid))"
    ), {"fts_query": _fts_query(words(query))}) or 0


def _shorten(text_: str) -> str:
    """About ``SNIPPET`` characters of ``text_`` around its first match, cut at words."""
    if len(text_) <= SNIPPET:
        return text_
    start = max(0, text_.find(OPEN) - SNIPPET // 3)
    if start:
        start = text_.find(" ", start) + 1 or start
    end = min(len(text_), start + SNIPPET)
    if end < len(text_):
        cut = text_.rfind(" ", start + SNIPPET // 2, end)
        end = cut if cut > 0 else end
    piece = text_[start:end]
    if piece.count(OPEN) > piece.count(CLOSE):
        piece += CLOSE
    return ("…" if start else "") + piece.strip() + ("…" if end < len(text_) else "")


def _html(text_: str) -> str:
    return html.escape(text_).replace(OPEN, "<mark>").replace(CLOSE, "</mark>")


def explain(title: str, type_: str, summary: str, rest: str) -> dict[str, Any]:
    """Why an event matched, from its highlighted fields: those holding a match, and a
    snippet (escaped HTML, matches in ``<mark>``) of the first but the title and type
    (which a list shows anyway), else of the title or type."""
    fields, texts = [], {}
    for name, value in (("title", title), ("type", type_), ("summary", summary),
                        *zip(FIELDS, (rest or "").split("\n"), strict=False)):
        if OPEN in value:
            fields.append(name)
            texts.setdefault(name, value)
    shown = next((name for name in fields if name not in ("title", "type")),
                  fields[0] if fields else None)
    snippet = _html(_shorten(texts[shown])) if shown in texts else None
    return {"fields": fields, "snippet": snippet}


def highlights(query: str, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``explain`` for each of the events ``ids`` that matches ``query``."""
    terms = words(query)
    if not terms or not ids:
        return {}
    if not _postgres():
        return _sqlite_highlights(terms, ids)
    options = f"StartSel={OPEN}, StopSel={CLOSE}, HighlightAll=true"
    tsq = _tsquery(terms)

    def headline(col: Any) -> Any:
        return func.ts_headline(literal_column("'english'::regconfig"), col, tsq, options)

    stmt = select(Event.id, headline(Event.title), headline(Event.type),
                  headline(Event.summary), headline(func.coalesce(Event.search_text, ""))
                  ).where(Event.id.in_(ids))
    return {row[0]: explain(*(value or "" for value in row[1:]))
            for row in db.session.execute(stmt)}


# On SQLite, highlight() needs a full-text match: the page's rows are indexed in a small
# temporary table with the same tokenizer (per connection), emptied by a rollback.
_HIGHLIGHT_TABLE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.events_hl USING fts5(id UNINDEXED, title, type, "
    "summary, search_text, tokenize='porter unicode61 remove_diacritics 2')"
)


def _sqlite_highlights(terms: Sequence[str], ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    session = db.session
    session.execute(text(_HIGHLIGHT_TABLE))
    session.execute(text(
        "INSERT INTO temp.events_hl(id, title, type, summary, search_text) "
        "SELECT id, title, type, summary, search_text FROM events WHERE id IN :ids"
    ).bindparams(bindparam("ids", list(ids), expanding=True)))
    try:
        rows = session.execute(text(
            "SELECT id, highlight(events_hl, 1, :open, :close), "
            "highlight(events_hl, 2, :open, :close), highlight(events_hl, 3, :open, :close), "
            "highlight(events_hl, 4, :open, :close) FROM temp.events_hl "
            "WHERE events_hl MATCH :fts_query"
        ).bindparams(open=OPEN, close=CLOSE, fts_query=_fts_query(terms))).all()
    finally:
        session.rollback()
    return {row[0]: explain(*(value or "" for value in row[1:])) for row in rows}
