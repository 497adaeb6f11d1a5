"""Keyset pagination: a page is found by the sort key of the last item, never by OFFSET."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Sequence
from typing import Any, NoReturn

from flask import request, url_for
from sqlalchemy import Select, tuple_
from sqlalchemy.orm import InstrumentedAttribute

from api.extensions import db
from api.http.errors import invalid
from schemas.common import BAD_CURSOR


def _bad_cursor(reason: str) -> NoReturn:
    raise invalid({"query": {"cursor": [reason]}})


def encode_cursor(values: Sequence[Any], descending: bool) -> str:
    raw = json.dumps({"k": [v.isoformat() if isinstance(v, dt.date) else v for v in values],
                      "d": descending}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


INT_MAX = 2**31 - 1  # an Integer column's range on every backend


def _never(constant: str) -> None:
    raise ValueError(f"{constant} is not a sort key")


def _key(kind: type, value: Any) -> Any:
    """A sort-key value of ``kind`` from a cursor: exactly that JSON type, in range."""
    if kind is dt.date and isinstance(value, str):
        return dt.date.fromisoformat(value)
    if kind is int and type(value) is int and -INT_MAX <= value <= INT_MAX:
        return value
    if kind is str and isinstance(value, str):
        return value
    raise ValueError(f"not a {kind.__name__}")


def decode_cursor(
    cursor: str, keys: Sequence[InstrumentedAttribute], descending: bool
) -> list[Any]:
    """The sort-key values in a cursor; a tampered or foreign cursor is a 400 (never a
    value the database cannot compare: no NaN, Infinity, huge numbers or wrong types)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw, parse_constant=_never)
        values = data["k"]
        assert isinstance(values, list) and len(values) == len(keys)
        assert data["d"] is descending
        return [_key(key.type.python_type, value) for key, value in zip(keys, values,
                                                                        strict=True)]
    except (ValueError, KeyError, TypeError, AssertionError, binascii.Error):
        _bad_cursor(BAD_CURSOR)


def paginate(
    stmt: Select, keys: Sequence[InstrumentedAttribute], args: dict[str, Any],
    descending: bool = False, rows: bool = False,
) -> tuple[list[Any], dict[str, Any], dict[str, str]]:
    """One page of ``stmt`` ordered by the unique ``keys``.

    Returns the items, the page body ``{"items", "next"}`` and the ``Link`` header.
    With ``rows``, the items are the rows of a select of several columns (keys among them).
    """
    limit = args["limit"]
    if args.get("cursor"):
        row = tuple_(*keys)
        after = tuple_(*decode_cursor(args["cursor"], keys, descending))
        stmt = stmt.where(row < after if descending else row > after)
    stmt = stmt.order_by(*(key.desc() if descending else key for key in keys)).limit(limit + 1)
    items = list(db.session.execute(stmt) if rows else db.session.scalars(stmt))
    next_url, headers = None, {}
    if len(items) > limit:
        items = items[:limit]
        last = [getattr(items[-1], key.key) for key in keys]
        query = {**request.args.to_dict(), "cursor": encode_cursor(last, descending)}
        next_url = url_for(request.endpoint, **(request.view_args or {}), **query, _external=True)
        headers["Link"] = f'<{next_url}>; rel="next"'
    return items, {"items": items, "next": next_url}, headers
