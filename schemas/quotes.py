"""Finding a citation's quote in its source text, forgiving only typography."""

from __future__ import annotations

import re

# Typographic quotes and dashes map to their plain forms; runs of whitespace to one space.
_TYPOGRAPHY = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"',
                             "‘": "'", "’": "'", "‚": "'", "\u00a0": " "})
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Text with typographic quotes made plain and whitespace collapsed."""
    return _SPACE.sub(" ", text.translate(_TYPOGRAPHY)).strip()


def occurs(quote: str, text: str) -> bool:
    """Whether ``quote`` occurs verbatim in ``text``, up to typography and whitespace."""
    return normalise(quote) in normalise(text)
