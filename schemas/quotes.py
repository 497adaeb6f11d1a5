"""Finding a citation's quote in its source text, forgiving only typography."""

from __future__ import annotations

import re

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
