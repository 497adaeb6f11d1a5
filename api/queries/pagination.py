"""Keyset pagination: a page is found by the sort key of the last item, never by OFFSET."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import math
from collections.abc import Sequence
from typing import Any, NoReturn

from flask import request, url_for
from sqlalchemy import ColumnElement, Select, bindparam, func, select, tuple_

from api.domain.errors import Invalid
from api.extensions import db
from schemas.common import BAD_CURSOR

REST = 1.0  # the first key of a list's rest (``paginate``): the score after a ranked window


def _bad_cursor(reason: str) -> NoReturn:
    raise Invalid({"query": {"cursor": [reason]}})


def encode_cursor(values: Sequence[Any], descending: bool, before: bool = False) -> str:
    """A cursor: the items after (or, with ``before``, before) the sort-key ``values``."""
    data = {"k": [v.isoformat() if isinstance(v, dt.date) else v for v in values],
            "d": descending}
    if before:
        data["b"] = True
    raw = json.dumps(data, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


INT_MAX = 2**31 - 1  # an Integer column's range on every backend


def _never(constant: str) -> None:
    raise ValueError(f"{constant} is not a sort key")


def _key(kind: type, value: Any) -> Any:
    """A sort-key value of ``kind`` from a cursor: exactly that JSON type, in range."""
    if kind in (dt.date, dt.datetime) and isinstance(value, str):
        return kind.fromisoformat(value)
    if kind is float and type(value) in (int, float) and math.isfinite(value):
        return float(value)
    if kind is int and type(value) is int and -INT_MAX <= value <= INT_MAX:
        return value
    if kind is str and isinstance(value, str):
        return value
    raise ValueError(f"not a {kind.__name__}")


def decode_cursor(
    cursor: str, keys: Sequence[ColumnElement[Any]], descending: bool
) -> tuple[list[Any], bool]:
    """The sort-key values in a cursor, and whether it points backwards; a tampered or
    foreign cursor is a 400 (never a value the database cannot compare: no NaN,
    Infinity, huge numbers or wrong types)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw, parse_constant=_never)
        values = data["k"]
        assert isinstance(values, list) and len(values) == len(keys)
        assert data["d"] is descending
        before = data.get("b", False)
        assert isinstance(before, bool)
        return [_key(key.type.python_type, value) for key, value in zip(keys, values,
                                                                        strict=True)], before
    except (ValueError, KeyError, TypeError, AssertionError, AttributeError, binascii.Error):
        _bad_cursor(BAD_CURSOR)


def _link(values: Sequence[Any], descending: bool, before: bool) -> tuple[str, str]:
    """The URL of this request with the cursor of ``values``, and the cursor."""
    cursor = encode_cursor(values, descending, before)
    query = {**request.args.to_dict(flat=False), "cursor": cursor}
    return url_for(request.endpoint, **(request.view_args or {}), **query,
                   _external=True), cursor


def _read(stmt: Select, keys: Sequence[ColumnElement[Any]], at: Sequence[Any] | None,
          backwards: bool, limit: int, rows: bool) -> list[Any]:
    """Up to ``limit`` items of ``stmt`` in the order of the unique ``keys`` (descending
    when ``backwards``), from just after the key values ``at`` (None: from the start)."""
    if at is not None:
        row, point = tuple_(*keys), tuple_(*at)
        stmt = stmt.where(row < point if backwards else row > point)
    # The limit written into the SQL: one text (and on PostgreSQL one generic plan) per size.
    limit = bindparam("limit", limit, literal_execute=True)
    stmt = stmt.order_by(*(key.desc() if backwards else key for key in keys)).limit(limit)
    if rows:  # columns, not entities: the ORM has nothing to add
        return list(db.session.connection().execute(stmt))
    return list(db.session.scalars(stmt))


def _read_both(stmt: Select, rest: Select, keys: Sequence[ColumnElement[Any]],
               values: Sequence[Any] | None, backwards: bool, limit: int) -> list[Any]:
    """``_read`` of the list made of ``stmt``'s rows, then ``rest``'s, whose first key is
    the constant ``REST`` (so they are read by the other keys only)."""
    in_rest = values is not None and values[0] == REST
    if backwards:
        items = _read(rest, keys[1:], values[1:], True, limit, True) if in_rest else []
        if len(items) < limit:
            items += _read(stmt, keys, None if in_rest else values, True, limit - len(items),
                           True)
        return items
    items = [] if in_rest else _read(stmt, keys, values, False, limit, True)
    if len(items) < limit:
        items += _read(rest, keys[1:], values[1:] if in_rest else None, False,
                       limit - len(items), True)
    return items


def paginate(
    stmt: Select, keys: Sequence[ColumnElement[Any]], args: dict[str, Any],
    descending: bool = False, rows: bool = False, rest: Select | None = None,
) -> tuple[list[Any], dict[str, Any], dict[str, str]]:
    """One page of ``stmt`` ordered by the unique ``keys``. With ``rows``, the items are the
    rows of a select of several columns (keys among them). With ``rest`` (rows, ascending
    only), the list goes on after ``stmt``'s rows with ``rest``'s, whose first key is
    ``REST`` (api/queries/ranking.py); a page across the boundary reads both.

    Returns the items, the page body ``{"items", "next", "prev", "next_cursor",
    "prev_cursor", "count"}`` (``count`` None: see ``listing``) and the ``Link`` header.
    A ``prev`` cursor reads the list backwards from the page's first item, so both
    directions cost one indexed query whatever the depth.
    """
    limit, cursor = args["limit"], args.get("cursor")
    at, before = decode_cursor(cursor, keys, descending) if cursor else (None, False)
    backwards = descending != before
    if rest is None:
        items = _read(stmt, keys, at, backwards, limit + 1, rows)
    else:
        items = _read_both(stmt, rest, keys, at, backwards, limit + 1)
    more = len(items) > limit
    items = items[:limit]
    if before:
        items.reverse()
    page: dict[str, Any] = {"items": items, "next": None, "prev": None, "next_cursor": None,
                            "prev_cursor": None, "count": None}
    links = []
    if items and (more if not before else True):
        page["next"], page["next_cursor"] = _link(
            [getattr(items[-1], key.key) for key in keys], descending, False)
        links.append(f'<{page["next"]}>; rel="next"')
    if items and (more if before else bool(cursor)):
        page["prev"], page["prev_cursor"] = _link(
            [getattr(items[0], key.key) for key in keys], descending, True)
        links.append(f'<{page["prev"]}>; rel="prev"')
    return items, page, {"Link": ", ".join(links)} if links else {}


def listing(stmt: Select, keys: Sequence[ColumnElement[Any]], args: dict[str, Any]
            ) -> tuple[dict[str, Any], int, dict[str, str]]:
    """A list endpoint's answer: the page of ``paginate`` and, with ``count=true``, the
    number of rows of ``stmt``."""
    _, page, headers = paginate(stmt, keys, args)
    if args.get("count"):
        page["count"] = db.session.scalar(
            select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    return page, 200, headers
