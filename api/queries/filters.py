"""What the filters of an event query compare with, and the SQL they add.

``filter_values`` turns parsed arguments into values (ids resolved, a 400 naming the
parameter for an unknown one); ``narrowed`` adds their conditions to a select.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Collection
from typing import Any

from sqlalchemy import Select, or_

from api.extensions import db
from api.models import Citation, Event, EventPerson, Mission, Person, Source
from api.queries import lookup, places
from schemas import dates

# The model each id filter names, for ``lookup.resolve``.
IDS = {"mission": Mission, "source": Source, "person": Person}
# The arguments that choose events (everything else shapes the answer).
FILTERS = ("mission", "type", "status", "person", "source", "tag", "location", "precision",
           "changed_since", "from_", "to", "q", "disputed", "context")


def _values(values: list[str]) -> tuple[list[str], list[str]]:
    """The values to match and the values to exclude (given with a ``-`` prefix)."""
    return ([v for v in values if not v.startswith("-")],
            [v[1:] for v in values if v.startswith("-")])


def _any(condition: Callable[[str], Any], values: list[str]) -> Any:
    return or_(*(condition(v) for v in values))


CONDITIONS: dict[str, Callable[[Any], Any]] = {
    "mission": lambda v: Event.mission_id == v,
    "type": lambda v: Event.type == v,
    "status": lambda v: Event.status == v,
    "person": lambda v: Event.people.any(EventPerson.person_id == v),
    "source": lambda v: Event.citations.any(Citation.source_id == v),
    "tag": Event.has_tag,
    "location": lambda v: Event.location == v,  # v: a stored location (api/queries/places.py)
    "precision": lambda v: Event.start["precision"].as_string() == v,
}


def filter_values(args: dict[str, Any], verified: Collection[str] = ()) -> dict[str, Any]:
    """What the filters of ``args`` (but ``q``) compare with: for each of ``CONDITIONS``
    the values to match and to exclude (ids resolved, or a 400, but for the filters named
    in ``verified``; ``location`` as the stored locations its words name), the moment of
    ``changed_since`` (UTC), the days of ``from``/``to``, ``disputed`` and ``context=false``."""
    out: dict[str, Any] = {}
    for arg in CONDITIONS:
        if not args.get(arg):
            continue
        values = [args[arg]] if isinstance(args[arg], str) else args[arg]
        if arg in IDS and arg not in verified:
            values = lookup.resolve(IDS[arg], values, arg)
        included, excluded = _values(values)
        if arg == "location":  # the stored locations the words name (api/queries/places.py)
            included = (places.matching(included) or [places.NOWHERE]) if included else []
            excluded = places.matching(excluded) if excluded else []
        out[arg] = (included, excluded)
    if "changed_since" in args:
        out["changed_since"] = args["changed_since"].astimezone(dt.UTC).replace(tzinfo=None)
    if "disputed" in args:
        out["disputed"] = bool(args["disputed"])
    if "from_" in args:
        out["from_"] = dates.earliest(args["from_"])
    if "to" in args:
        out["to"] = dates.latest(args["to"])
    if args.get("context") is False:
        out["context"] = False
    return out


def narrowed(stmt: Select, values: dict[str, Any]) -> Select:
    """``stmt`` (a select of events) restricted by ``filter_values``."""
    for arg, condition in CONDITIONS.items():
        if arg not in values:
            continue
        included, excluded = values[arg]
        if included:
            stmt = stmt.where(_any(condition, included))
        if excluded:
            stmt = stmt.where(~_any(condition, excluded))
    if "changed_since" in values:
        stmt = stmt.where(Event.changed_at >= values["changed_since"])
    if "disputed" in values:
        stmt = stmt.where(Event.claims.any() if values["disputed"] else ~Event.claims.any())
    if "from_" in values:  # overlap: the event's last possible day is on or after `from`
        stmt = stmt.where(Event.latest >= values["from_"])
    if "to" in values:
        stmt = stmt.where(Event.earliest <= values["to"])
    if values.get("context") is False:  # documents leave context events out unless asked
        stmt = stmt.where(_not_context(db.engine.dialect.name))
    return stmt


@functools.cache
def _not_context(dialect: str) -> Any:
    """``~Event.is_context`` on ``dialect``: an expression built once (it is the costliest
    part of a document's statement to build)."""
    return ~Event.is_context
