"""The query layer: which events a request means, loaded with what they show.

Resources, formats and the command line all ask for events through these functions, so a
filter means the same everywhere.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import namedtuple
from collections.abc import Collection, Sequence
from functools import lru_cache
from typing import Any

from cachetools import LRUCache, cached
from flask import url_for
from sqlalchemy import Integer, Select, bindparam, func, or_, select
from sqlalchemy.orm import selectinload

from api.domain import history
from api.domain.changelog import data_version
from api.extensions import db, read_connection
from api.http.errors import Problem
from api.models import Citation, Claim, Event, EventPerson, Mission
from api.queries import filters, ranking, search
from api.queries.filters import FILTERS, filter_values, narrowed
from api.queries.pagination import after_keys, paginate, paginate_with

# Everything an event's representation shows, loaded in a fixed number of queries.
WITH_DETAILS = (
    selectinload(Event.citations).joinedload(Citation.source),
    selectinload(Event.people).joinedload(EventPerson.person),
    selectinload(Event.claims),
)
# Timeline order: by first possible day, then by what happened that day, then by id.
SORT_KEYS = (Event.earliest, Event.day_order, Event.id)
# The unique keys of each order (``-name``: the same keys, descending).
ORDERS: dict[str, tuple[Any, ...]] = {
    "start": SORT_KEYS,
    "title": (Event.title, Event.id),
    "changed": (Event.changed_at, Event.id),
}
def filtered_events(args: dict[str, Any], stmt: Select | None = None,
                    win: ranking.Window | None = None, verified: Collection[str] = ()) -> Select:
    """The events (or ``stmt``'s columns of them) matching the filters of
    ``EventQuerySchema``, unordered; with the probe ``win`` of ``q``, its matches are
    tested as suits a walk in an index's order (api/queries/ranking.py). (``verified``:
    see ``filter_values``.)"""
    stmt = narrowed(select(Event) if stmt is None else stmt, filter_values(args, verified))
    if "q" in args:
        stmt = search.narrow(stmt, args["q"]) if win is None else ranking.matching(stmt, win)
    return stmt


def _searched(args: dict[str, Any], scored: bool = False) -> ranking.Window | None:
    """The probe of the index for ``q`` (api/queries/ranking.py), if there are words;
    ``scored`` for relevance order."""
    return ranking.window(args["q"], scored) if search.words(args.get("q") or "") else None


def order(args: dict[str, Any]) -> tuple[tuple[Any, ...], bool]:
    """The sort keys of the requested order (not relevance), and whether descending."""
    sort = args.get("sort") or "start"
    return ORDERS[sort.removeprefix("-")], sort.startswith("-")


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
    """One page of filtered events with their details, in the requested order (documents
    keep date order when asked for relevance)."""
    if args.get("sort") == "relevance":
        args = {**args, "sort": "start"}
    keys, descending = order(args)
    stmt = filtered_events(args, win=_searched(args)).options(*WITH_DETAILS)
    return paginate(stmt, keys, args, descending=descending)


def _version_columns(keys: tuple[Any, ...]) -> list[Any]:
    return [Event.id, Event.version, *(k for k in keys if k is not Event.id)]


# With ``with_mission``, each row of a page also carries its mission's name and summary.
MISSION_COLUMNS = (Mission.name.label("mission_name"), Mission.summary.label("mission_summary"))


@lru_cache(maxsize=512)
def _versions_statement(shape: tuple[Any, ...], sort: str, after: bool, backwards: bool,
                        dialect: str, with_mission: bool) -> Select:
    """The ``(id, version, sort keys)`` select of a page of live events of that filter
    shape and order, built once: the filters' values, the cursor's key values (``at_0``...)
    and the ``limit`` are bind parameters. (``dialect``: ``Event.has_tag`` differs by backend.)"""
    keys = ORDERS[sort.removeprefix("-")]
    stmt = select(*_version_columns(keys))
    if with_mission:
        stmt = stmt.add_columns(*MISSION_COLUMNS).join(Mission, Mission.id == Event.mission_id)
    stmt = narrowed(stmt, filters.placeholders(shape))
    at = [bindparam(f"at_{i}", type_=key.type) for i, key in enumerate(keys)] if after else None
    # On PostgreSQL the limit is written into the SQL (one of a few values): with nothing
    # but the cursor's keys and the filters' values left as parameters, the prepared
    # statement runs on one generic plan instead of being planned on every execution.
    # (SQLite plans a statement once when preparing it: there, writing it in only costs.)
    return after_keys(stmt.where(Event.deleted_at.is_(None)), keys, at, backwards,
                      bindparam("limit", type_=Integer, literal_execute=dialect == "postgresql"))


@lru_cache(maxsize=256)
def _record(keys: tuple[str, ...]) -> Any:
    return namedtuple("Record", keys, rename=True)


def rows(stmt: Any, params: dict[str, Any] | None = None) -> list[Any]:
    """The rows of a Core select, run on ``read_connection`` without the ORM's events
    (the select must leave deleted events out itself), as named tuples: reading a field of
    one costs a tenth of reading it from SQLAlchemy's ``Row``, and a page reads each
    row's id and version a few times."""
    result = read_connection().execute(stmt, params or {})
    return list(map(_record(tuple(result.keys()))._make, result.all()))


def event_versions_page(args: dict[str, Any], verified: Collection[str] = (),
                        with_mission: bool = False,
                        ) -> tuple[list[Any], dict[str, Any], dict[str, str]]:
    """One page of ``events_page``, as ``(id, version, sort keys...)`` rows: what a memo
    of rendered events needs to know which it holds (api/http/cache/fragments.py).
    (``verified``: see ``filter_values``; ``with_mission``: rows also hold their mission's
    ``mission_name`` and ``mission_summary``, in the same statement, without ``q``.)

    It is read afresh on every call (a write shows at once); only its SQL is memoised per
    filter shape and order. With ``q``, search builds its own: in relevance order the
    window's ranked matches, then the others by date (api/queries/ranking.py)."""
    if "q" in args:
        return _searched_page(args, verified)
    keys, descending = order(args)
    shape, params = filters.shape(filter_values(args, verified))
    sort, dialect = args.get("sort") or "start", db.engine.dialect.name

    def fetch(at: Sequence[Any] | None, backwards: bool, limit: int) -> list[Any]:
        stmt = _versions_statement(shape, sort, at is not None, backwards, dialect,
                                   with_mission)
        return rows(stmt, {**params, "limit": limit,
                           **{f"at_{i}": value for i, value in enumerate(at or ())}})
    return paginate_with(fetch, keys, args, descending=descending)


def _searched_page(args: dict[str, Any], verified: Collection[str],
                   ) -> tuple[list[Any], dict[str, Any], dict[str, str]]:
    """``event_versions_page`` with ``q``."""
    relevance = args.get("sort") == "relevance"
    win = _searched(args, relevance)
    columns = [Event.id, Event.version, Event.earliest, Event.day_order]
    if relevance and win is not None:
        unsearched = {k: v for k, v in args.items() if k != "q"}
        base = filtered_events(unsearched, select(*columns), verified=verified)
        stmt, keys = ranking.ranked(base, win)
        after = ranking.rest(base, win) if win.edge is not None else None
        return paginate(stmt, keys, args, rows=True, rest=after)
    keys, descending = order(args if args.get("sort") != "relevance" else {})
    columns += [key for key in keys[:-1]  # (key, id)
                if not any(key is column for column in columns)]
    stmt = filtered_events(args, select(*columns), win, verified)
    return paginate(stmt, keys, args, descending=descending, rows=True)


COUNTS_KEPT = 256
_COUNTS: LRUCache[Any, int] = LRUCache(COUNTS_KEPT)
_COUNTS_LOCK = threading.Lock()


@cached(_COUNTS, lock=_COUNTS_LOCK,
        key=lambda args: (str(db.engine.url), data_version(),
                          tuple(sorted((k, repr(args[k])) for k in FILTERS if k in args))))
def count_events(args: dict[str, Any]) -> int:
    """The exact number of events matching the filters of ``args``, remembered (per
    worker, for ``COUNTS_KEPT`` filter sets) until the data version changes."""
    if [k for k in FILTERS if k in args] == ["q"] and search.words(args["q"]):
        return search.count(args["q"])
    inner = filtered_events(args).with_only_columns(Event.id).subquery()
    return db.session.scalar(select(func.count()).select_from(inner)) or 0


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
