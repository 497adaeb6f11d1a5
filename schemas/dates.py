"""Dates with honest precision.

A date is written as ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``: only as precise as the
sources allow. It may be ``approximate`` (the source hedges) and ``inferred`` (derived
rather than stated). Each date covers an interval of days, from its earliest to its
latest possible day; events sort by the earliest and filter by overlap.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_dump, post_load, validates_schema

from schemas.common import named_enum

PRECISIONS = named_enum("Precision", ("year", "month", "day"))
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
    """The precision of a valid date string: ``year``, ``month`` or ``day``."""
    return PRECISIONS[value.count("-")]


def earliest(value: str) -> dt.date:
    """The first day a date string can mean."""
    year, month, day = parse(value)
    return dt.date(year, month or 1, day or 1)


def latest(value: str) -> dt.date:
    """The last day a date string can mean."""
    year, month, day = parse(value)
    month = month or 12
    return dt.date(year, month, day or calendar.monthrange(year, month)[1])


def edtf(start: dict[str, Any], end: dict[str, Any] | None = None) -> str:
    """The EDTF (ISO 8601-2) string of a date or an interval, e.g. ``2030~``."""

    def one(date: dict[str, Any]) -> str:
        return date["date"] + ("~" if date.get("approximate") else "")

    return one(start) if end is None else f"{one(start)}/{one(end)}"


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
        validate=lambda p: p in PRECISIONS,
        metadata={"enum": list(PRECISIONS), "description": "Derived from `date` when omitted."},
    )
    approximate = fields.Boolean(
        load_default=False, metadata={"description": "The source hedges (about, as early as)."}
    )
    inferred = fields.Boolean(
        load_default=False,
        metadata={"description": "Derived from other facts rather than stated by a source."},
    )

    @validates_schema
    def _check(self, data: dict[str, Any], **_: Any) -> None:
        try:
            parse(data["date"])
        except ValueError as err:
            raise ValidationError(str(err), "date") from err
        stated = data.get("precision")
        if stated is not None and stated != precision(data["date"]):
            raise ValidationError(
                f"'{data['date']}' has precision '{precision(data['date'])}', not '{stated}'.",
                "precision",
            )

    @post_load
    def _normalise(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {
            "date": data["date"],
            "precision": precision(data["date"]),
            "approximate": data["approximate"],
            "inferred": data["inferred"],
        }

    @post_dump
    def _derive(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if "precision" in self.fields:  # not when excluded (seed files leave it out)
            data["precision"] = precision(data["date"])
        return data
