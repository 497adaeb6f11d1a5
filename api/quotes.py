"""Checking citations against their source's text, and recording where quotes occur."""

from __future__ import annotations

import os
from collections.abc import Iterable

from sqlalchemy import select

from schemas.quotes import locate

from .extensions import db
from .models import Citation, Source


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


def load_texts(directory: str) -> int:
    """Give each source the text of its ``file`` in ``directory``; returns how many changed."""
    changed = 0
    for source in db.session.scalars(select(Source)):
        path = os.path.join(directory, source.file)
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
            if source.text != text:
                source.text, changed = text, changed + 1
    return changed
