"""Locations as people type them: ``location=iss`` matches whole words of a location, or
the initials of a multi-word name in it ("International Space Station"), never a piece of
a word. The distinct locations are few: they are matched here, so the filter becomes an
exact ``location IN (...)``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import select

from api.extensions import db
from api.models import Event
from api.queries.lookup import normal

# A filter's value when no location matches: no stored text holds a control character.
NOWHERE = "\x01"
# Words an acronym skips ("Ministry of Defence": MD, as "MoD" is read).
MINOR = {"of", "the", "and", "de", "for", "on", "in"}
_PARTS = re.compile(r"[,;()/]")


def words(text: str) -> list[str]:
    """``text``'s words, without accents and case."""
    return [w for w in normal(text).split("-") if w]


def names(location: str) -> list[list[str]]:
    """The word sequences a location answers to: its own words, and the initials of each
    part (between commas or brackets) of two or more capitalised words."""
    out = [words(location)]
    for part in _PARTS.split(location):
        major = [w for w in part.split() if w.lower() not in MINOR]
        if len(major) >= 2 and all(w[:1].isupper() for w in major):
            out.append(["".join(w[0] for w in major).casefold()])
    return out


def _contains(sequence: list[str], run: list[str]) -> bool:
    n = len(run)
    return any(sequence[i:i + n] == run for i in range(len(sequence) - n + 1))


def matches(location: str, query: str) -> bool:
    """Whether ``query`` (its words, in order) names ``location``."""
    run = words(query)
    return bool(run) and any(_contains(name, run) for name in names(location))


def known() -> tuple[str, ...]:
    """Every location of a live event."""
    stmt = select(Event.location).where(Event.location.is_not(None)).distinct()
    return tuple(sorted(db.session.scalars(stmt)))


def matching(queries: Iterable[str]) -> list[str]:
    """The stored locations any of ``queries`` names."""
    queries = list(queries)
    return [loc for loc in known() if any(matches(loc, q) for q in queries)]
