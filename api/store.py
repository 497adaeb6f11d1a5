"""Writing validated records into the database, changing only what differs."""

from __future__ import annotations

from typing import Any

from .extensions import db
from .models import Citation, EventPerson

# Ordered lists of child rows, matched to the new data by position.
CHILDREN: dict[str, type[db.Model]] = {"citations": Citation, "people": EventPerson}


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

