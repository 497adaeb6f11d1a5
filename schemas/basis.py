"""The basis of a date: where it comes from, and the rules that derive one date from another.

A ``basis`` names the quote a date rests on and a ``rule``: either ``stated`` (the quote
gives the date) or a derivation from a ``reference`` (an event's start, or the day a
source was written), with the one parameter the rule takes. Inferred and approximate
dates must have one (schemas/dates.py); api/domain/derivations.py recomputes every date
from its basis, and ``describe`` says it in words.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from typing import Any

from flask import url_for
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from schemas.common import URL, Computed, QuoteRefSchema, Slug, named_enum

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
    "reported-by": (None, "no later than the day the referenced source was written, which "
                          "reports it (the quote is that source's own); the date is that "
                          "day, or coarser, and reads \"by\" it"),
}
RULE_NAMES = named_enum("DerivationRule", tuple(RULES))
_NUMBERS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
            "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
            "seventeen", "eighteen", "nineteen", "twenty")


def _count(n: int, unit: str) -> str:
    """``12 days`` or ``twelve days`` (singular for one)."""
    number = rf"(?:{n}|{_NUMBERS[n]})" if n < len(_NUMBERS) else str(n)
    return rf"\b{number}[ -]{unit}{'' if n == 1 else 's?'}\b"


def _ordinal(n: int) -> str:
    return rf"\b{n}(?:st|nd|rd|th)\b"


# The words a basis's quote must contain for its rule to be what the quote says: a pattern
# (case-insensitive) from the basis, and the same in words for the documentation.
# ``stated`` is checked by reading the date from the quote (api/domain/derivations.py),
# ``reported-by`` by its quote being the referenced source's own.
WORDS: dict[str, tuple[Callable[[dict[str, Any]], str], str]] = {
    "same-date": (lambda b: r"\b(?:the same day|today|now|this (?:morning|week|month|"
                            + "|".join(WEEKDAYS) + r")|on (?:its|their) way|for the next)\b",
                  "words that make the two coincide: `the same day`, `today`, `now`, `this "
                  "Tuesday`, `on its way`, `for the next` (a period starting then)"),
    "days-after": (lambda b: {-1: r"\bthe day before\b|\bthe eve\b",
                              1: r"\bthe (?:next )?day after\b|\bthe next day\b|\blater\b"
                              }.get(b["offset"], _count(abs(b["offset"]), "day")),
                   "`N days` (digits or words); `the day before` for -1; `the next day` or "
                   "`later` for 1"),
    "weekday-of-week": (lambda b: rf"\b{b['weekday']}\b"
                        + (r"|\bthis week\b" if b["weekday"] == "sunday" else ""),
                        "the weekday's name (`this week` for its last day, Sunday)"),
    "month-of": (lambda b: r"\bthis month\b|\bdays ago\b",
                 "`this month` or `days ago`"),
    "month-of-year": (lambda b: rf"\b{calendar.month_name[b['month']]}\b",
                      "the month's name"),
    "year-of": (lambda b: r"\bthis year\b|\b(?:recent|few) months\b|\bmonths ago\b",
                "`this year`, `recent months` or `months ago`"),
    "years-before": (lambda b: r"\blast year\b" if b["offset"] == 1
                     else _count(b["offset"], "year") + r" ago",
                     "`last year` for 1, else `N years ago`"),
    "years-after": (lambda b: r"\bnext year\b" if b["offset"] == 1
                    else r"\bin " + _count(b["offset"], "year"),
                    "`next year` for 1, else `in N years`"),
    "anniversary": (lambda b: _ordinal(b["offset"]) + r" anniversary\b",
                    "`Nth anniversary`"),
}


def missing_words(basis: dict[str, Any]) -> str | None:
    """Why a basis's quote does not say what its rule needs (None when it does): the
    words of ``WORDS``, or for ``reported-by`` a quote of the referenced source itself."""
    rule = basis["rule"]
    if rule == "reported-by":
        ref = basis["reference"]
        if ref["kind"] != "source" or ref["id"] != basis["source"]:
            return "the rule 'reported-by' needs a quote of the source it refers to"
        return None
    if rule not in WORDS:
        return None
    pattern, words = WORDS[rule]
    if re.search(pattern(basis), basis["quote"], re.IGNORECASE):
        return None
    return f"the quote lacks the words the rule '{rule}' rests on ({words})"

PARAMETERS = ("offset", "weekday", "month")
REFERENCE_KINDS = {"event": "the start of the event", "source": "the day the source was written"}
named_enum("ReferenceKind", tuple(REFERENCE_KINDS))


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
        "reported-by": lambda: f"no later than {what}, which reports it",
    }[rule]()


class ReferenceSchema(Schema):
    """What a derived date is computed from: an event's start or a source's writing day."""

    kind = fields.String(required=True, validate=validate.OneOf(list(REFERENCE_KINDS)),
                         metadata={"description": "; ".join(
                             f"`{k}`: {v}" for k, v in REFERENCE_KINDS.items())})
    id = Slug(required=True)
    url = Computed(
        lambda ref: url_for("events.Event" if ref["kind"] == "event" else "sources.Source",
                            id=ref["id"], _external=True), URL)


class DerivationSchema(QuoteRefSchema):
    """How a date was reached: the quote, the rule, and (unless stated) its reference."""

    rule = fields.String(required=True, validate=validate.OneOf(list(RULES)),
                         metadata={"description": "; ".join(
                             f"`{k}`: {v}" + (f" (the quote must hold {WORDS[k][1]})"
                                              if k in WORDS else "")
                             for k, (_, v) in RULES.items())})
    reference = fields.Nested(ReferenceSchema)
    offset = fields.Integer(validate=validate.Range(-100_000, 100_000),
                            metadata={"description": "For days-after, years-before, "
                                      "years-after and anniversary."})
    weekday = fields.String(validate=validate.OneOf(WEEKDAYS),
                            metadata={"description": "For weekday-of-week."})
    month = fields.Integer(validate=validate.Range(1, 12),
                           metadata={"description": "For month-of-year."})
    explanation = Computed(describe, {"type": "string"},
                           metadata={"example": "the Tuesday of the week of the day "
                                            "source '003_edd1603faf14b1a0' was written"})

    @validates_schema
    def _check(self, data: dict[str, Any], partial: Any = None, **_: Any) -> None:
        rule = data.get("rule")
        if partial or rule not in RULES:  # a merge patch: checked once merged
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
