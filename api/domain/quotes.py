"""Quotes and their sources: finding a quote in a text (character for character, only
whitespace normalised), and checking citations against their source's text."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from sqlalchemy import select

from api.extensions import db
from api.models import Citation, Event, Source

# Runs of whitespace (incl. no-break spaces and line breaks) count as one space; every other
# character must be the article's own: a typographic quote mark is not a straight one.
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Text with whitespace collapsed (and trimmed): nothing else changes."""
    return _SPACE.sub(" ", text).strip()


def occurs(quote: str, text: str) -> bool:
    """Whether ``quote`` occurs verbatim in ``text``, up to whitespace."""
    return normalise(quote) in normalise(text)


_CHAR = re.compile(r"\s+|\S")


def locate(quote: str, text: str) -> tuple[int, int] | None:
    """Where ``quote`` occurs in ``text``, as ``(start, end)`` offsets of ``text``, or None.

    Matches exactly as ``occurs`` does; the offsets let a front end highlight the quote.
    """
    needle = normalise(quote)
    chars: list[str] = []
    offsets: list[int] = []  # the offset in ``text`` of each normalised character
    for match in _CHAR.finditer(text):
        chars.append(" " if match.group().isspace() else match.group())
        offsets.append(match.start())
    found = "".join(chars).find(needle) if needle else -1
    if found < 0:
        return None
    return offsets[found], offsets[found + len(needle) - 1] + 1


def unverifiable(citations: Iterable[Citation]) -> list[Citation]:
    """Check each citation against its source's text, recording where its quote occurs.

    Returns the citations whose source has a text that does not contain the quote.
    """
    citations = list(citations)
    ids = {c.source_id for c in citations}
    texts = dict(db.session.execute(
        select(Source.id, Source.text).where(Source.id.in_(ids), Source.text.is_not(None))
    ).all()) if ids else {}
    failed = []
    for citation in citations:
        text = texts.get(citation.source_id)
        span = locate(citation.quote, text) if text is not None else None
        citation.quote_start, citation.quote_end = span or (None, None)
        if text is not None and span is None:
            failed.append(citation)
    return failed


def quoted_in(citations: Iterable[Citation], source: str, quote: str,
              supporting: str | None = None) -> bool:
    """Whether ``quote`` lies within a citation of ``source`` (that supports a field)."""
    return any(c.source_id == source and occurs(quote, c.quote)
               and (supporting is None or supporting in c.supports) for c in citations)


def unsupported_refs(event: Event) -> dict[str, str]:
    """The quotes of an event's date bases and claims that none of its citations holds, by
    field: a basis quote must lie within a citation of its source that supports that date
    (so it is verified with it), a claim's quote within a citation of its source."""
    problems = {}
    for name in ("start", "end"):
        basis = (getattr(event, name) or {}).get("basis")
        if basis and not quoted_in(event.citations, basis["source"], basis["quote"], name):
            problems[f"{name}.basis.quote"] = (f"Must lie within a citation of source "
                                               f"'{basis['source']}' that supports '{name}'.")
    for i, claim in enumerate(event.claims):
        for j, value in enumerate(claim.values):
            for k, ref in enumerate(value["quotes"]):
                if not quoted_in(event.citations, ref["source"], ref["quote"]):
                    problems[f"claims.{i}.values.{j}.quotes.{k}.quote"] = (
                        f"Must lie within a citation of source '{ref['source']}'.")
    return problems


def own_quotes(source: Source) -> list[tuple[str, str]]:
    """``(field, quote)`` of every quote a source's own metadata rests on: the bases of
    its dates and the versions of its claims."""
    refs = [(f"{name}.basis.quote", date["basis"]["quote"])
            for name in ("stated_date", "written_date")
            if (date := getattr(source, name)) and date.get("basis")]
    refs += [(f"claims.{i}.values.{j}.quotes.{k}.quote", ref["quote"])
             for i, claim in enumerate(source.claims)
             for j, value in enumerate(claim.values)
             for k, ref in enumerate(value["quotes"])]
    return refs


def missing_own_quotes(source: Source) -> list[tuple[str, str]]:
    """The ``own_quotes`` its text (when it has one) does not contain."""
    if source.text is None:
        return []
    return [(field, quote) for field, quote in own_quotes(source) if not occurs(quote, source.text)]


def load_texts(directory: str, overwrite: bool = True
               ) -> tuple[int, dict[str, tuple[str, str]]]:
    """Give each source the text of its ``file`` in ``directory``.

    A stored text that differs from the file is replaced only with ``overwrite``. Returns
    how many texts were loaded or replaced, and for each differing text the sizes of the
    file's and the database's versions.
    """
    changed, differ = 0, {}
    for source in db.session.scalars(select(Source)):
        path = os.path.join(directory, source.file)
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
            if source.text is not None and source.text != text:
                differ[source.id] = (f"{len(text)} characters",
                                     f"{len(source.text)} characters")
            if source.text != text and (overwrite or source.text is None):
                source.text, changed = text, changed + 1
    return changed, differ
