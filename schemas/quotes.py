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
