"""Search results in order at any size: a bounded ranking window (docs/performance.md).

Ranking costs time for every match, and a common word matches most of a million events,
so relevance ranks a *window*: the first ``SEARCH_WINDOW`` matches in the index's own
order (SQLite: the order events were stored, by ``rowid``; PostgreSQL: by id), found by
one bounded probe (on PostgreSQL, the same walk scores them: ``window(..., scored=True)``).
When a query matches no more, the window is every match and the order
is exact. When it matches more, the window comes first, best match first, and the other
matches follow it in date order (``start``, then id), with the score ``REST``: the order
is ``(score, earliest, id)`` throughout, so keyset cursors work across the boundary.

Orders other than relevance with ``q`` read the order's index and test each event for the
match once the query matches more than the window (a match is then common enough that a
page is found after a short walk); fewer matches are fetched through the index and sorted.
PostgreSQL's planner makes that choice itself, from the index's statistics: it needs no probe.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import (
    ColumnElement,
    Double,
    Float,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    column,
    false,
    func,
    literal,
    literal_column,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY

from api.extensions import db
from api.models import Event
from api.queries import search
from api.queries.pagination import REST  # the score after the window: ranked ones are < 0

# SQLite, when more match than the window: from this share of events matching, each event
# walked is tested against the index; below it, the matches are first collected in a set.
DENSE = 0.2
ROWID = literal_column("events.rowid")
SEARCH = literal_column("events.search")


@dataclass(frozen=True)
class Window:
    """What the probe found out about a query: its index query, the last match in the
    window (``None``: every match is in it, or no probe was needed), about what share of
    events match and, when scored on PostgreSQL, each match's ``(id, score)``."""

    query: str
    edge: Any
    share: float
    scores: tuple[tuple[Any, float], ...] = ()


# PostgreSQL: the window's first SEARCH_WINDOW + 1 matches by id, scored in the same walk.
_PG_SCORED = ("SELECT id, -CAST(ts_rank(search, to_tsquery('english'::regconfig, :q)) AS "
              "double precision) FROM events WHERE search @@ to_tsquery('english'::regconfig, "
              ":q) ORDER BY id LIMIT :n")
_SQLITE_PROBE = "SELECT rowid FROM events_fts WHERE events_fts MATCH :q LIMIT 2 OFFSET :skip"


def window(query: str, scored: bool = False) -> Window:
    """Probe the index for the ``SEARCH_WINDOW``-th and next match of ``query`` (words).

    On PostgreSQL only relevance order (``scored``) needs the probe, and gets the window's
    scores from the same walk of the primary key (ranking them again would walk it twice).
    SQLite's probe is a skip through the index, and ``ranked`` scores the window."""
    size = current_app.config["SEARCH_WINDOW"]
    index_query = search.index_query(search.words(query))
    if search._postgres():
        if not scored:
            return Window(index_query, None, 0.0)
        found = db.session.execute(text(_PG_SCORED), {"q": index_query, "n": size + 1}).all()
        edge = found[size - 1][0] if len(found) > size else None
        return Window(index_query, edge, 0.0 if edge is None else 1.0,
                      tuple((key, score) for key, score in found[:size]))
    found = list(db.session.scalars(text(_SQLITE_PROBE), {"q": index_query, "skip": size - 1}))
    if len(found) < 2:
        return Window(index_query, None, 0.0)
    return Window(index_query, found[0], min(1.0, size / max(found[0], 1)))


def ranked(stmt: Select, win: Window) -> tuple[Select, tuple[Any, ...]]:
    """``stmt``'s events in the window (of ``window(..., scored=True)``), with their
    ``score`` (lower is better), and the keys of relevance order."""
    score: ColumnElement[float]
    if search._postgres():
        stmt, score = _scored(stmt, win)
    else:
        sql = ("SELECT rowid, bm25(events_fts, 10.0, 20.0, 3.0, 1.0) AS score FROM events_fts "
               "WHERE events_fts MATCH :fts_query")
        params: dict[str, Any] = {"fts_query": win.query}
        if win.edge is not None:
            sql, params["fts_edge"] = sql + " AND rowid <= :fts_edge", win.edge
        fts = text(sql).bindparams(**params).columns(
            column("rowid", Integer), column("score", Float)).subquery(search.FTS)
        stmt = stmt.join(fts, fts.c.rowid == ROWID)
        score = fts.c.score
    label = score.label("score")
    return stmt.add_columns(label), (label, Event.earliest, Event.id)


def _scored(stmt: Select, win: Window) -> tuple[Select, ColumnElement[float]]:
    """PostgreSQL: ``stmt`` joined with the window's scores (two arrays, unnested)."""
    if not win.scores:  # nothing matches
        return stmt.where(false()), literal(REST, Double)
    keys, scores = zip(*win.scores, strict=True)
    scored = func.unnest(bindparam("win_keys", list(keys), type_=ARRAY(String)),
                         bindparam("win_scores", list(scores), type_=ARRAY(Double))
                         ).table_valued(column("key", String), column("score", Double)
                                        ).render_derived(name="win")
    return stmt.join(scored, scored.c.key == Event.id), scored.c.score


def rest(stmt: Select, win: Window) -> Select:
    """``stmt``'s matches after the window (there are some), with the score ``REST``; to
    be read in date order."""
    return matching(stmt, win, after=win.edge).add_columns(literal(REST, Double).label("score"))


def matching(stmt: Select, win: Window, after: Any = None) -> Select:
    """``stmt``'s matches (after the window's ``after``), in a form each database reads
    best in an order of an index: fetched and sorted when few, tested while walking the
    order's index when many."""
    if search._postgres():  # the planner weighs both from the index's statistics
        tsquery = func.to_tsquery(literal_column("'english'::regconfig"), literal(win.query))
        stmt = stmt.where(SEARCH.op("@@")(tsquery))
        return stmt if after is None else stmt.where(Event.id > after)
    if win.edge is None:
        return stmt.join(*_fts_rows(win, after))
    if win.share >= DENSE:
        test = text("EXISTS (SELECT 1 FROM events_fts WHERE events_fts MATCH :fts_query "
                    "AND events_fts.rowid = events.rowid)").bindparams(fts_query=win.query)
        return stmt.where(test if after is None else and_(after < ROWID, test))
    fts, _ = _fts_rows(win, after)
    # "+": the set is only a test; the walk follows the order's index, not the set
    return stmt.where(literal_column("+events.rowid").in_(fts.select()))


def _fts_rows(win: Window, after: Any) -> tuple[Any, Any]:
    """The matching rowids (after ``after``) as a joinable subquery, and its join."""
    sql, params = "SELECT rowid FROM events_fts WHERE events_fts MATCH :fts_query", {
        "fts_query": win.query}
    if after is not None:
        sql, params["fts_edge"] = sql + " AND rowid > :fts_edge", after
    fts = text(sql).bindparams(**params).columns(column("rowid", Integer)).subquery(search.FTS)
    return fts, fts.c.rowid == ROWID
