"""Writing validated records into the database, changing only what differs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from .extensions import db
from .models import Citation, DataVersion, EventPerson

# Ordered lists of child rows, matched to the new data by position.
CHILDREN: dict[str, type[db.Model]] = {"citations": Citation, "people": EventPerson}
# Set in ``session.info`` by ``touch()``: the response cache expires on that commit.
CHANGED = "api.data_changed"


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


def upsert(model: type[db.Model], data: dict[str, Any]) -> str:
    """Create or update the record ``data["id"]``: returns created, updated or unchanged."""
    obj = db.session.get(model, data["id"])
    if obj is None:
        obj = model(id=data["id"])
        db.session.add(obj)
        apply(obj, data)
        return "created"
    return "updated" if apply(obj, data) else "unchanged"



def touch() -> None:
    """Record, inside the current transaction, that the data changed.

    Every write path calls this before committing, so anything derived from the data
    (cached representations, ETags) can tell it is out of date.
    """
    db.session.info[CHANGED] = True
    bumped = db.session.execute(update(DataVersion).values(version=DataVersion.version + 1))
    if bumped.rowcount == 0:
        db.session.add(DataVersion(id=1, version=1))


def data_version() -> int:
    """The number of committed changes so far."""
    return db.session.scalar(select(DataVersion.version)) or 0
