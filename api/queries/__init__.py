"""The query layer: which events a request means, loaded with what they show.

A list request travels one line: its parsed arguments become one ``EventQuery`` (ids
resolved and filters turned into values, once), which reads a page, a count or facet
counts; the resource renders what it returns. Resources, formats and the command line all
ask for events through it, so a filter means the same everywhere.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from flask import url_for
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from api.domain.errors import Gone, NotFound
from api.extensions import db
from api.models import Citation, Claim, Event, EventPerson, Mission
from api.queries import facets, ranking, search
from api.queries.filters import FILTERS, filter_values, narrowed
from api.queries.pagination import paginate

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
# With ``with_mission``, each row of a page also carries its mission's name and summary.
# Pages select the tables' own columns, not the ORM's attributes: a result of a statement
# SQLAlchemy compiled before then maps them to its columns by identity, where ORM
# attributes are compared as SQL expressions (a quarter of a page's query).
MISSION_COLUMNS = (Mission.__table__.c.name.label("mission_name"),
                   Mission.__table__.c.summary.label("mission_summary"))


@dataclass(frozen=True)
class EventQuery:
    """The events a request's arguments (``EventQuerySchema``'s) mean: ``values`` are what
    its filters compare with (``filter_values``: ids resolved, or a 400)."""

    args: dict[str, Any]
    values: dict[str, Any]

    @classmethod
    def of(cls, args: dict[str, Any], verified: Collection[str] = ()) -> EventQuery:
        """The query of ``args`` (``verified``: filters whose ids the caller found)."""
        return cls(args, filter_values(args, verified))

    def select(self, stmt: Select | None = None, win: ranking.Window | None = None) -> Select:
        """The matching events (or ``stmt``'s columns of them), unordered; with the probe
        ``win`` of ``q``, its matches are tested as suits a walk in an index's order
        (api/queries/ranking.py)."""
        stmt = narrowed(select(Event) if stmt is None else stmt, self.values)
        stmt = stmt.where(Event.deleted_at.is_(None))  # also when read without the ORM
        if "q" in self.args:
            q = self.args["q"]
            stmt = search.narrow(stmt, q) if win is None else ranking.matching(stmt, win)
        return stmt

    def order(self) -> tuple[tuple[Any, ...], bool]:
        """The sort keys of the requested order (not relevance), and whether descending."""
        sort = self.args.get("sort") or "start"
        sort = "start" if sort == "relevance" else sort
        return ORDERS[sort.removeprefix("-")], sort.startswith("-")

    def window(self, scored: bool = False) -> ranking.Window | None:
        """The probe of the index for ``q`` (api/queries/ranking.py), if it has words;
        ``scored`` for relevance order."""
        q = self.args.get("q") or ""
        return ranking.window(q, scored) if search.words(q) else None

    def page(self, with_mission: bool = False, **args: Any
             ) -> tuple[list[Any], dict[str, Any], dict[str, str]]:
        """One page (``args`` override the request's: ``limit``, ``cursor``) as
        ``(id, version, sort keys...)`` rows, read in one Core select on the session's
        connection: what the render memo needs to know which events it holds
        (api/http/cache/fragments.py). ``with_mission``: rows also hold their mission's
        ``mission_name`` and ``mission_summary`` (not with ``q``).

        With ``q`` in relevance order, the window's ranked matches come first, then the
        others by date (api/queries/ranking.py); documents ask for date order."""
        args = {**self.args, **args}
        keys, descending = self.order()
        table = Event.__table__.c
        columns = [table.id, table.version, *(table[k.key] for k in keys if k is not Event.id)]
        if self.args.get("sort") == "relevance" and (win := self.window(scored=True)):
            unsearched = EventQuery({k: v for k, v in args.items() if k != "q"}, self.values)
            base = unsearched.select(select(*columns))
            stmt, keys = ranking.ranked(base, win)
            after = ranking.rest(base, win) if win.edge is not None else None
            return paginate(stmt, keys, args, rows=True, rest=after)
        stmt = self.select(select(*columns), self.window())
        if with_mission and "q" not in self.args:
            stmt = stmt.add_columns(*MISSION_COLUMNS).join(Mission, Mission.id == Event.mission_id)
        return paginate(stmt, keys, args, descending=descending, rows=True)

    def count(self) -> int:
        """The exact number of matching events."""
        if [k for k in FILTERS if k in self.args] == ["q"] and search.words(self.args["q"]):
            return search.count(self.args["q"])
        inner = self.select().with_only_columns(Event.id).subquery()
        return db.session.scalar(select(func.count()).select_from(inner)) or 0

    def facets(self, names: tuple[str, ...]) -> dict[str, list[dict[str, Any]]]:
        """For each facet of ``names``, its values among the matching events, with counts."""
        return facets.facet_counts(self.select, names)


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


def load_events(ids: list[str]) -> list[Event]:
    """The events ``ids`` with their details (in no particular order)."""
    return list(db.session.scalars(select(Event).where(Event.id.in_(ids)).options(*WITH_DETAILS)))


def get_event(id: str) -> Event:
    """The event ``id`` with its details: 404 if it never existed, 410 if it was deleted."""
    event = db.session.scalar(select(Event).where(Event.id == id).options(*WITH_DETAILS)
                              .execution_options(include_deleted=True))
    if event is None:
        raise NotFound(f"No event with id '{id}'.")
    if event.deleted_at is not None:
        raise Gone(f"The event '{id}' was deleted; its history stays at "
                   f"{url_for('revisions.EventRevisions', id=id, _external=True)}.")
    return event
