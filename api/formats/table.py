"""A CSV table of events, one row each, that spreadsheets open without cleanup."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from typing import Any

from api.formats import display_date
from api.models import Event
from schemas import dates

COLUMNS = ("id", "mission", "type", "status", "title", "date", "start", "end", "edtf",
           "earliest", "latest", "location", "people", "tags", "summary", "citations", "url")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """A cell a spreadsheet shows as text: a leading ``=`` (etc.) must not run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def row(event: Event, url: str) -> list[Any]:
    values = (
        event.id, event.mission_id, event.type, event.status, event.title,
        display_date(event), event.start["date"], (event.end or {}).get("date", ""),
        dates.edtf(event.start, event.end), event.earliest.isoformat(), event.latest.isoformat(),
        event.location or "", "; ".join(p.person.name for p in event.people),
        "; ".join(event.tags), event.summary, len(event.citations), url,
    )
    return [_cell(value) for value in values]


def line(values: Sequence[Any]) -> str:
    """One CSV record (RFC 4180: CRLF line end, quotes where needed)."""
    out = io.StringIO()
    csv.writer(out).writerow(values)
    return out.getvalue()


def table(events: Sequence[Event], url_of: Callable[[Event], str]) -> str:
    """The CSV text (RFC 4180: CRLF line ends, quotes where needed) with a header row."""
    return line(COLUMNS) + "".join(line(row(event, url_of(event))) for event in events)
