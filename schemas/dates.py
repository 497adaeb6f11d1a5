"""Dates with honest precision: date strings, their days, and the date schemas.

A date is written as ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``: only as precise as the
sources allow. It may be ``approximate`` (the source hedges) and ``inferred`` (derived
rather than stated). Each date covers an interval of days, from its earliest to its
latest possible day; events sort by the earliest and filter by overlap. An event's start
or end may be open (``..``, as in EDTF): no bound is known on that side.

Inferred and approximate dates must have a ``basis``, where the date comes from
(schemas/basis.py: the quote, the rule and its reference).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Any

from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_dump,
    post_load,
    validate,
    validates_schema,
)
from marshmallow.experimental.context import Context

from schemas.basis import DerivationSchema
from schemas.common import StrictBoolean, named_enum

PRECISIONS = named_enum("Precision", ("year", "month", "day"))
BOUND_PRECISIONS = named_enum("BoundPrecision", (*PRECISIONS, "open"))
OPEN = ".."  # an open bound: EDTF's ``2030/..``
# Set while loading what was stored under an earlier, laxer schema (old revisions).
RECORDED = "recorded"
# ASCII digits only, and nothing after the date (``$`` would accept a trailing newline).
_DATE_RE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")
# The same language as one regular expression, for the OpenAPI document: exactly the strings
# ``parse`` accepts (years 0001-9999, real months, days that exist, 29 February of leap years).
_YEAR = r"(?:[0-9]{3}[1-9]|[0-9]{2}[1-9]0|[0-9][1-9]00|[1-9]000)"
_MONTH_DAY = (r"(?:(?:0[13578]|1[02])(?:-(?:0[1-9]|[12][0-9]|3[01]))?"
              r"|(?:0[469]|11)(?:-(?:0[1-9]|[12][0-9]|30))?"
              r"|02(?:-(?:0[1-9]|1[0-9]|2[0-8]))?)")
_LEAP_DAY = (r"(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])"
             r"|(?:0[48]|[2468][048]|[13579][26])00)-02-29")
DATE_PATTERN = rf"^(?:{_YEAR}(?:-{_MONTH_DAY})?|{_LEAP_DAY})$"
BOUND_PATTERN = rf"^(?:\.\.|{_YEAR}(?:-{_MONTH_DAY})?|{_LEAP_DAY})$"  # or open


def parse(value: str) -> tuple[int, int | None, int | None]:
    """Split a date string into year, month and day; raise ``ValueError`` if invalid."""
    match = _DATE_RE.fullmatch(value) if isinstance(value, str) else None
    if not match:
        raise ValueError("Not a date: use YYYY, YYYY-MM or YYYY-MM-DD.")
    year, month, day = (int(part) if part else None for part in match.groups())
    if year == 0:
        raise ValueError("Year must be between 0001 and 9999.")
    if month is not None and not 1 <= month <= 12:
        raise ValueError("Month must be between 01 and 12.")
    if day is not None and not 1 <= day <= calendar.monthrange(year, month)[1]:
        raise ValueError(f"Day {day:02d} does not exist in {year:04d}-{month:02d}.")
    return year, month, day


def precision(value: str) -> str:
    """The precision of a valid date string: ``year``, ``month``, ``day`` (or ``open``)."""
    return "open" if value == OPEN else PRECISIONS[value.count("-")]


def earliest(value: str) -> dt.date:
    """The first day a date string can mean (an open bound: the first representable)."""
    if value == OPEN:
        return dt.date.min
    year, month, day = parse(value)
    return dt.date(year, month or 1, day or 1)


def latest(value: str) -> dt.date:
    """The last day a date string can mean (an open bound: the last representable)."""
    if value == OPEN:
        return dt.date.max
    year, month, day = parse(value)
    month = month or 12
    return dt.date(year, month, day or calendar.monthrange(year, month)[1])


REPORTED_BY = "reported-by"  # the basis rule of a date known only as "by" that day


def known_by(date: dict[str, Any] | None) -> bool:
    """Whether ``date`` is known only as a latest bound: "by" the day a source reports it."""
    return bool(date) and ((date or {}).get("basis") or {}).get("rule") == REPORTED_BY


def edtf(start: dict[str, Any], end: dict[str, Any] | None = None) -> str:
    """The EDTF (ISO 8601-2) string of a date or an interval, e.g. ``2030~``; a date known
    only as "by" a day is the set of days up to it, ``[..2021-10-11]``."""

    def one(date: dict[str, Any]) -> str:
        return date["date"] + ("~" if date.get("approximate") else "")

    if end is None:
        return f"[..{one(start)}]" if known_by(start) else one(start)
    return f"{one(start)}/{one(end)}"


def known_span(start: dict[str, Any], end: dict[str, Any] | None = None
               ) -> tuple[dt.date, dt.date]:
    """The first and last day of what is known: an open bound gives way to the other one.

    For a calendar or a timeline slide, which cannot show an unbounded span.
    """
    known = [d["date"] for d in (start, end) if d and d["date"] != OPEN]
    return earliest(known[0]), latest(known[-1])


def day_after(date: dt.date) -> dt.date:
    """The next day; the last representable day (9999-12-31) has none and stays itself."""
    return date if date == dt.date.max else date + dt.timedelta(days=1)


class DateSchema(Schema):

    """A date as precise as its sources: ``{"date": "2021-10", "precision": "month", ...}``."""

    date = fields.String(
        required=True,
        metadata={"description": "YYYY, YYYY-MM or YYYY-MM-DD", "example": "2021-10-05",
                  "pattern": DATE_PATTERN},
    )
    precision = fields.String(
        validate=validate.OneOf(PRECISIONS),
        metadata={"enum": list(PRECISIONS), "description": "Derived from `date` when omitted."},
    )
    approximate = StrictBoolean(
        load_default=False, metadata={"description": "The source hedges (about, as early as)."}
    )
    inferred = StrictBoolean(
        load_default=False,
        metadata={"description": "Derived from other facts rather than stated by a source."},
    )
    basis = fields.Nested(
        DerivationSchema, allow_none=True,
        metadata={"description": "Where the date comes from; required when it is inferred or "
                  "approximate."},
    )
    OPEN_ALLOWED = False  # an open bound (``..``) is for an event's start or end only

    @validates_schema
    def _check(self, data: dict[str, Any], partial: Any = None, **_: Any) -> None:
        if partial:  # a merge patch: checked once merged
            return
        if data["date"] == OPEN:
            if not self.OPEN_ALLOWED:
                raise ValidationError("Only an event's start or end can be open ('..').", "date")
            if data["approximate"] or data["inferred"] or data.get("basis") or data.get("order"):
                raise ValidationError("An open bound is neither approximate nor inferred, "
                                      "and has no basis or order.", "date")
            return
        try:
            parse(data["date"])
        except ValueError as err:
            raise ValidationError(str(err), "date") from err
        self._check_basis(data)
        stated = data.get("precision")
        if stated is not None and stated != precision(data["date"]):
            raise ValidationError(
                f"'{data['date']}' has precision '{precision(data['date'])}', not '{stated}'.",
                "precision",
            )

    @staticmethod
    def _check_basis(data: dict[str, Any]) -> None:
        basis = data.get("basis")
        if basis is None:
            if (data["inferred"] or data["approximate"]) and not Context.get({}).get(RECORDED):
                raise ValidationError("An inferred or approximate date needs a basis: the "
                                      "quote, the rule and (unless stated) the reference.",
                                      "basis")
        elif data["inferred"] != (basis["rule"] != "stated"):
            raise ValidationError("A date is inferred exactly when its basis rule is not "
                                  "'stated'.", "inferred")

    @post_load
    def _normalise(self, data: dict[str, Any], partial: Any = None, **_: Any) -> dict[str, Any]:
        if partial:  # a merge patch: only what it sends
            return data
        out = {
            "date": data["date"],
            "precision": precision(data["date"]),
            "approximate": data["approximate"],
            "inferred": data["inferred"],
        }
        if data.get("basis"):
            out["basis"] = data["basis"]
        if data.get("order") is not None:
            out["order"] = data["order"]
        return out

    @post_dump
    def _derive(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if "precision" in self.fields:  # not when excluded (seed files leave it out)
            data["precision"] = precision(data["date"])
        return data


class BoundSchema(DateSchema):
    """An event's start or end: a date, or open (``..``) when no bound is known."""

    date = fields.String(
        required=True,
        metadata={"description": "YYYY, YYYY-MM or YYYY-MM-DD, or `..` (open: no bound known)",
                  "example": "2021-10-05", "pattern": BOUND_PATTERN},
    )
    precision = fields.String(
        validate=validate.OneOf(BOUND_PRECISIONS),
        metadata={"enum": list(BOUND_PRECISIONS),
                  "description": "Derived from `date` when omitted; `open` for `..`."},
    )
    order = fields.Integer(
        validate=validate.Range(1, 100),
        metadata={"description": "An event's start only: where it comes among the events "
                  "starting the same day, by what happened (1 first; without it, before "
                  "them). Lists, formats and the embed sort by it within a day."},
    )
    OPEN_ALLOWED = True
