"""Quotes and their sources: finding a quote in a text (forgiving only typography), and
checking citations against their source's text."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from sqlalchemy import select

from api.extensions import db
from api.models import Citation, Source

# Typographic quotes map to plain ones; runs of whitespace (incl. no-break) to one space.
_TYPOGRAPHY = str.maketrans({
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2018": "'", "\u2019": "'", "\u201a": "'",
})
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Text with typographic quotes made plain and whitespace collapsed."""
    return _SPACE.sub(" ", text.translate(_TYPOGRAPHY)).strip()


def occurs(quote: str, text: str) -> bool:
    """Whether ``quote`` occurs verbatim in ``text``, up to typography and whitespace."""
    return normalise(quote) in normalise(text)


_CHAR = re.compile(r"\s+|\S")


def locate(quote: str, text: str) -> tuple[int, int] | None:
    """Where ``quote`` occurs in ``text``, as ``(start, end)`` offsets of ``text``, or None.

    Matches exactly as ``occurs`` does; the offsets let a front end highlight the quote.
    """
    needle = normalise(quote)
    chars: list[str] = []
    offsets: list[int] = []  # the offset in ``text`` of each normalised character
    for match in _CHAR.finditer(text.translate(_TYPOGRAPHY)):  # translate is 1:1
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
