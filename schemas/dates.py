"""Dates with honest precision, and the basis each one rests on.

A date is written as ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``: only as precise as the
sources allow. It may be ``approximate`` (the source hedges) and ``inferred`` (derived
rather than stated). Each date covers an interval of days, from its earliest to its
latest possible day; events sort by the earliest and filter by overlap. An event's start
or end may be open (``..``, as in EDTF): no bound is known on that side.

A ``basis`` says where a date comes from: the quote it rests on and a named ``rule``,
either ``stated`` (the quote gives the date) or a derivation from a ``reference`` (an
event's start, or the day a source was written). Inferred and approximate dates must
have one; api/domain/derivations.py recomputes every date from its basis.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from flask import url_for
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

from schemas.common import QuoteRefSchema, Slug, StrictBoolean, named_enum

PRECISIONS = named_enum("Precision", ("year", "month", "day"))
BOUND_PRECISIONS = named_enum("BoundPrecision", (*PRECISIONS, "open"))
OPEN = ".."  # an open bound: EDTF's ``2030/..``
WEEKDAYS = named_enum("Weekday", ("monday", "tuesday", "wednesday", "thursday", "friday",
                                   "saturday", "sunday"))
# Each rule: the parameter it takes (or None), and what it computes from the reference.
RULES: dict[str, tuple[str | None, str]] = {
    "stated": (None, "the date the quote states (no reference)"),
    "same-date": (None, "the reference's date, at its precision"),
    "days-after": ("offset", "the reference day plus `offset` days (negative: before)"),
    "weekday-of-week": ("weekday", "the `weekday` of the week (Monday to Sunday) holding "
                                   "the reference day"),
    "month-of": (None, "the month of the reference"),
    "month-of-year": ("month", "month `month` of the reference's year"),
    "year-of": (None, "the year of the reference"),
    "years-before": ("offset", "the year `offset` years before the reference's year"),
    "years-after": ("offset", "the year `offset` years after the reference's year"),
    "anniversary": ("offset", "the reference's date `offset` years earlier, at its precision "
                              "(the reference is its `offset`-th anniversary)"),
}
RULE_NAMES = named_enum("DerivationRule", tuple(RULES))
PARAMETERS = ("offset", "weekday", "month")
REFERENCE_KINDS = {"event": "the start of the event", "source": "the day the source was written"}
named_enum("ReferenceKind", tuple(REFERENCE_KINDS))
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


def edtf(start: dict[str, Any], end: dict[str, Any] | None = None) -> str:
    """The EDTF (ISO 8601-2) string of a date or an interval, e.g. ``2030~``."""

    def one(date: dict[str, Any]) -> str:
        return date["date"] + ("~" if date.get("approximate") else "")

    return one(start) if end is None else f"{one(start)}/{one(end)}"


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


def reference_words(kind: str, ident: str) -> str:
    """A reference by its id: ``the start of event 'x'``, ``the day source 'y' was written``."""
    return (f"the start of event '{ident}'" if kind == "event"
            else f"the day source '{ident}' was written")


def describe(basis: dict[str, Any],
             name: Callable[[str, str], str] = reference_words) -> str:
    """A basis in words: ``the Tuesday of the week of the day source '003_…' was written``.

    ``name(kind, id)`` says what the reference is (a display names a source by its title).
    """
    rule, ref = basis["rule"], basis.get("reference")
    if rule == "stated":
        return f"stated by source '{basis['source']}'"
    what = name(ref["kind"], ref["id"])
    n = basis.get("offset") or 0
    plural = "" if abs(n) == 1 else "s"
    return {
        "same-date": lambda: f"the same date as {what}",
        "days-after": lambda: (f"{n} day{plural} after {what}" if n >= 0
                               else f"{-n} day{plural} before {what}"),
        "weekday-of-week": lambda: f"the {basis['weekday'].title()} of the week of {what}",
        "month-of": lambda: f"the month of {what}",
        "month-of-year": lambda: f"{calendar.month_name[basis['month']]} of the year of {what}",
        "year-of": lambda: f"the year of {what}",
        "years-before": lambda: f"{n} year{plural} before the year of {what}",
        "years-after": lambda: f"{n} year{plural} after the year of {what}",
        "anniversary": lambda: f"{n} years before {what}, its {n}th anniversary",
    }[rule]()


class ReferenceSchema(Schema):
    """What a derived date is computed from: an event's start or a source's writing day."""

    kind = fields.String(required=True, validate=validate.OneOf(list(REFERENCE_KINDS)),
                         metadata={"description": "; ".join(
                             f"`{k}`: {v}" for k, v in REFERENCE_KINDS.items())})
    id = Slug(required=True)
    url = fields.Function(
        lambda ref: url_for("events.Event" if ref["kind"] == "event" else "sources.Source",
                            id=ref["id"], _external=True),
        dump_only=True,
    )


class DerivationSchema(QuoteRefSchema):
    """How a date was reached: the quote, the rule, and (unless stated) its reference."""

    rule = fields.String(required=True, validate=validate.OneOf(list(RULES)),
                         metadata={"description": "; ".join(
                             f"`{k}`: {v}" for k, (_, v) in RULES.items())})
    reference = fields.Nested(ReferenceSchema)
    offset = fields.Integer(validate=validate.Range(-100_000, 100_000),
                            metadata={"description": "For days-after, years-before, "
                                      "years-after and anniversary."})
    weekday = fields.String(validate=validate.OneOf(WEEKDAYS),
                            metadata={"description": "For weekday-of-week."})
    month = fields.Integer(validate=validate.Range(1, 12),
                           metadata={"description": "For month-of-year."})
    explanation = fields.Function(describe, dump_only=True,
                                  metadata={"example": "the Tuesday of the week of the day "
                                            "source '003_edd1603faf14b1a0' was written"})

    @validates_schema
    def _check(self, data: dict[str, Any], **_: Any) -> None:
        rule = data.get("rule")
        if rule not in RULES:
            return
        wanted = RULES[rule][0]
        for name in PARAMETERS:
            if name == wanted and name not in data:
                raise ValidationError(f"The rule '{rule}' needs '{name}'.", name)
            if name != wanted and name in data:
                raise ValidationError(f"The rule '{rule}' takes no '{name}'.", name)
        if (rule == "stated") == ("reference" in data):
            raise ValidationError("A stated date has no reference; every other rule needs one.",
                                  "reference")


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
    def _check(self, data: dict[str, Any], **_: Any) -> None:
        if data["date"] == OPEN:
            if not self.OPEN_ALLOWED:
                raise ValidationError("Only an event's start or end can be open ('..').", "date")
            if data["approximate"] or data["inferred"] or data.get("basis"):
                raise ValidationError("An open bound is neither approximate nor inferred, "
                                      "and has no basis.", "date")
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
    def _normalise(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        out = {
            "date": data["date"],
            "precision": precision(data["date"]),
            "approximate": data["approximate"],
            "inferred": data["inferred"],
        }
        if data.get("basis"):
            out["basis"] = data["basis"]
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
    OPEN_ALLOWED = True
