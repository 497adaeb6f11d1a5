"""Search results in order at any size: a bounded ranking window (docs/performance.md).

Relevance ranks a *window*: the first ``SEARCH_WINDOW`` matches in the index's own order
(SQLite: ``rowid``; PostgreSQL: id), found and scored by one bounded pass. When a query
matches more, the other matches follow the window in timeline order with the score
``REST``: the order is ``(score, earliest, day_order, id)`` throughout, so keyset cursors
work across the boundary. Other orders with ``q`` walk the order's index and test each
event when matches are many, or fetch the matches and sort them when few (on PostgreSQL
the planner chooses).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import (
    Double,
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
    select,
    table,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY

from api.extensions import db
from api.models import Event
from api.queries import search
from api.queries.pagination import REST  # the score after the window: ranked ones are < 0

# SQLite: from this share of events matching, each event walked is tested against the index.
DENSE = 0.2
ROWID = literal_column("events.rowid")
SEARCH = literal_column("events.search")


@dataclass(frozen=True)
class Window:
    """A query's index query, the last match in the window (``None``: every match is in
    it), about what share of events match, and when scored each ``(key, score)``."""

    query: str
    edge: Any
    share: float
    scores: tuple[tuple[Any, float], ...] = ()


# The first SEARCH_WINDOW + 1 matches in the index's order, scored in the same pass.
_SCORED = {
    "postgresql": "SELECT id, -CAST(ts_rank(search, to_tsquery('english'::regconfig, :q)) AS "
                  "double precision) FROM events WHERE search @@ "
                  "to_tsquery('english'::regconfig, :q) ORDER BY id LIMIT :n",
    "sqlite": "SELECT rowid, bm25(events_fts, 10.0, 20.0, 3.0, 1.0) FROM events_fts "
              "WHERE events_fts MATCH :q LIMIT :n",
}
_PROBE = "SELECT rowid FROM events_fts WHERE events_fts MATCH :q LIMIT 2 OFFSET :skip"


def window(query: str, scored: bool = False) -> Window:
    """Probe the index for the ``SEARCH_WINDOW``-th and next match of ``query`` (words);
    with ``scored`` (relevance order), score the window's matches in the same pass."""
    size = current_app.config["SEARCH_WINDOW"]
    index_query = search.index_query(search.words(query))
    if scored:
        return _scored_window(index_query, size)
    # PostgreSQL's planner chooses how to walk the other orders: no probe
    found = [] if search._postgres() else list(
        db.session.scalars(text(_PROBE), {"q": index_query, "skip": size - 1}))
    if len(found) < 2:
        return Window(index_query, None, 0.0)
    return Window(index_query, found[0], _share(found[0], size))


def _share(edge: Any, size: int) -> float:
    """About what share of events match, when ``size`` matches end at ``edge`` (SQLite's
    ``rowid``; 1 on PostgreSQL, where it is unused)."""
    return 1.0 if search._postgres() else min(1.0, size / max(edge, 1))


def _scored_window(index_query: str, size: int) -> Window:
    """The window of ``index_query`` and each of its matches' ``(key, score)``: one pass."""
    found = db.session.execute(text(_SCORED[db.engine.dialect.name]),
                               {"q": index_query, "n": size + 1}).all()
    scores = tuple((key, score) for key, score in found[:size])
    if len(found) <= size:
        return Window(index_query, None, 0.0, scores)
    return Window(index_query, scores[-1][0], _share(scores[-1][0], size), scores)


def ranked(stmt: Select, win: Window) -> tuple[Select, tuple[Any, ...]]:
    """``stmt``'s events in the window (of ``window(..., scored=True)``), with their
    ``score`` (lower is better), and the keys of relevance order."""
    if not win.scores:  # nothing matches
        stmt, score = stmt.where(false()), literal(REST, Double)
    elif search._postgres():  # the scores as two arrays, unnested
        keys, scores = zip(*win.scores, strict=True)
        win_rows = func.unnest(bindparam("win_keys", list(keys), type_=ARRAY(String)),
                               bindparam("win_scores", list(scores), type_=ARRAY(Double))
                               ).table_valued(column("key", String), column("score", Double)
                                              ).render_derived(name="win")
        stmt, score = stmt.join(win_rows, win_rows.c.key == Event.id), win_rows.c.score
    else:
        _fill_window_table(win.scores)  # read as a list of rowids (a join may walk events)
        stmt = stmt.where(ROWID.in_(select(WINDOW.c.key)))
        score = select(WINDOW.c.score).where(WINDOW.c.key == ROWID).scalar_subquery()
    label = score.label("score")
    return stmt.add_columns(label), (label, Event.earliest, Event.day_order, Event.id)


# SQLite: the window's scores go into the page's query through a temporary table (per
# connection), which keeps each score exactly.
WINDOW = table("search_window", column("key", Integer), column("score", Double), schema="temp")


def _fill_window_table(scores: tuple[tuple[Any, float], ...]) -> None:
    session = db.session
    session.execute(text("CREATE TEMP TABLE IF NOT EXISTS search_window "
                         "(key INTEGER PRIMARY KEY, score REAL NOT NULL)"))
    session.execute(text("DELETE FROM temp.search_window"))
    session.execute(text("INSERT INTO temp.search_window (key, score) VALUES (:key, :score)"),
                    [{"key": key, "score": score} for key, score in scores])


def rest(stmt: Select, win: Window) -> Select:
    """``stmt``'s matches after the window, with the score ``REST`` (read in date order)."""
    return matching(stmt, win, after=win.edge).add_columns(literal(REST, Double).label("score"))


def matching(stmt: Select, win: Window, after: Any = None) -> Select:
    """``stmt``'s matches (after the window's ``after``): fetched and sorted when few,
    tested while walking the order's index when many."""
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
    fts = _fts_rows(win, after)[0]
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
