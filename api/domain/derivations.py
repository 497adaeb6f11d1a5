"""Recomputing a date from its basis: the resolver behind every inferred date.

Pure functions: ``resolve`` takes a basis and the date of its reference and returns the
date the rule gives; ``disagreement`` compares that with the date stored. The caller
looks references up (the seed loader in the database, the tests in the seed files).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from api.domain.quotes import normalise
from schemas import dates
from schemas.basis import RULES, WEEKDAYS, describe, missing_words

# A reference's date string, by (kind, id): None when the reference does not exist.
Lookup = Callable[[str, str], "str | None"]


class DerivationError(ValueError):
    """A basis that cannot be applied (unknown reference, too coarse a date, ...)."""


_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS |= {name.lower(): number for number, name in enumerate(calendar.month_abbr) if name}
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_DOTTED = re.compile(r"\b(\d{2})\.(\d{2})\.(\d{4})\b")  # day.month.year, as in 05.10.2021
_WORDY = re.compile(r"\b([A-Za-z]{3,9})\.? (\d{1,2}), (\d{4})\b")  # Oct 11, 2021
_YEAR = re.compile(r"(?<![\d.-])(1[5-9]\d\d|20\d\d)(?![\d.-])")


def stated_dates(quote: str) -> list[str]:
    """Every date a quote states, as ``YYYY`` or ``YYYY-MM-DD`` (full dates first)."""
    text, found = normalise(quote), []
    for pattern, order in ((_ISO, (1, 2, 3)), (_DOTTED, (3, 2, 1))):
        for match in pattern.finditer(text):
            year, month, day = (int(match.group(i)) for i in order)
            found.append(f"{year:04d}-{month:02d}-{day:02d}")
        text = pattern.sub(" ", text)
    for match in _WORDY.finditer(text):
        month = _MONTHS.get(match.group(1).lower())
        if month:
            found.append(f"{int(match.group(3)):04d}-{month:02d}-{int(match.group(2)):02d}")
    text = _WORDY.sub(lambda m: " " if m.group(1).lower() in _MONTHS else m.group(), text)
    found += _YEAR.findall(text)
    return found


def _day(reference: str, rule: str) -> dt.date:
    if dates.precision(reference) != "day":
        raise DerivationError(f"The rule '{rule}' needs a reference dated to the day, "
                              f"not '{reference}'.")
    return dt.date.fromisoformat(reference)


def _year(reference: str) -> int:
    return dates.parse(reference)[0]


def _anniversary(reference: str, years: int) -> str:
    year, month, day = dates.parse(reference)
    parts = [f"{year - years:04d}", *(f"{p:02d}" for p in (month, day) if p)]
    result = "-".join(parts)
    dates.parse(result)  # 29 February in a year that has none
    return result


def _month(reference: str, rule: str) -> str:
    if dates.precision(reference) == "year":
        raise DerivationError(f"The rule '{rule}' needs a reference dated to the month.")
    return reference[:7]


_RESOLVERS: dict[str, Callable[[dict[str, Any], str], str]] = {
    "same-date": lambda b, ref: ref,
    "days-after": lambda b, ref: (_day(ref, b["rule"]) + dt.timedelta(days=b["offset"]))
    .isoformat(),
    "weekday-of-week": lambda b, ref: (
        _day(ref, b["rule"]) + dt.timedelta(days=WEEKDAYS.index(b["weekday"])
                                            - _day(ref, b["rule"]).weekday())).isoformat(),
    "month-of": lambda b, ref: _month(ref, b["rule"]),
    "month-of-year": lambda b, ref: f"{_year(ref):04d}-{b['month']:02d}",
    "year-of": lambda b, ref: f"{_year(ref):04d}",
    "years-before": lambda b, ref: f"{_year(ref) - b['offset']:04d}",
    "years-after": lambda b, ref: f"{_year(ref) + b['offset']:04d}",
    "anniversary": lambda b, ref: _anniversary(ref, b["offset"]),
    "reported-by": lambda b, ref: ref,
}
assert set(_RESOLVERS) | {"stated"} == set(RULES), "a rule without a resolver"


def resolve(basis: dict[str, Any], reference: str | None) -> str:
    """The date ``basis`` gives, from its reference's date string (None for ``stated``).

    A stated date is read from the quote itself, which must state exactly one date.
    """
    if basis["rule"] == "stated":
        found = list(dict.fromkeys(stated_dates(basis["quote"])))
        if len(found) != 1:
            raise DerivationError(f"A stated date's quote must state one date; it states "
                                  f"{len(found) or 'no'} ({', '.join(found) or 'none'}).")
        return found[0]
    if reference is None or reference == dates.OPEN:
        raise DerivationError("The reference has no date to derive from.")
    try:
        return _RESOLVERS[basis["rule"]](basis, reference)
    except (ValueError, OverflowError) as err:
        raise DerivationError(str(err)) from err


def disagreement(date: dict[str, Any], lookup: Lookup) -> str | None:
    """Why a stored date does not follow from its basis, or None when it does.

    A date without a basis (or an open bound) has nothing to check. A stated date with a
    precision coarser than its quote agrees when the quote's date falls within it, and so
    does a ``reported-by`` date coarser than its source's day.
    """
    basis = date.get("basis")
    if not basis:
        return None
    reference = None
    if basis["rule"] != "stated":
        ref = basis["reference"]
        reference = lookup(ref["kind"], ref["id"])
        if reference is None:
            return f"the reference {ref['kind']} '{ref['id']}' does not exist or is undated"
    try:
        derived = resolve(basis, reference)
    except DerivationError as err:
        return str(err)
    stored = date["date"]
    coarser = basis["rule"] in ("stated", "reported-by") and derived.startswith(stored + "-")
    if derived == stored or coarser:
        return None
    return f"the basis gives '{derived}' ({describe(basis)}), not '{stored}'"


def problems(record_dates: dict[str, dict[str, Any] | None], lookup: Lookup
             ) -> list[tuple[str, str]]:
    """``(field, why)`` for each of a record's dates (by field name) its basis contradicts,
    or whose quote lacks the words its rule rests on (``schemas.basis.WORDS``)."""
    found = []
    for name, date in record_dates.items():
        basis = (date or {}).get("basis")
        if basis and (why := missing_words(basis)):
            found.append((f"{name}.basis.quote", why))
        elif date and (why := disagreement(date, lookup)):
            found.append((f"{name}.date", why))
    return found
