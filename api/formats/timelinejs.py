"""A Knight Lab TimelineJS3 JSON document of a mission's events.

Context events (background such as earlier spaceflights: ``Event.is_context``, type or tag
``context``) are left out unless asked for; then they form a group (a row of the timeline)
of their own, so the mission's own events stay readable. The API leaves them out in its
query (``api.queries.EventQuery``); ``timeline`` filters the events it is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from markupsafe import escape

from api.formats import display_date, event_html
from api.models import CONTEXT, Event, Mission
from schemas import dates


def timeline_date(value: dict[str, Any]) -> dict[str, int]:
    """A TimelineJS date object at the date's real precision: ``{"year": 2030}``."""
    parts = dict(zip(("year", "month", "day"), dates.parse(value["date"]), strict=True))
    return {key: part for key, part in parts.items() if part is not None}


def slide(event: Event, group: str) -> dict[str, Any]:
    """One slide; an open bound has no date on the slide (its display date says so)."""
    known = [d for d in (event.start, event.end) if d and d["date"] != dates.OPEN]
    out = {
        "unique_id": event.id,
        "start_date": timeline_date(known[0]),
        "display_date": display_date(event),
        "text": {"headline": str(escape(event.title)), "text": event_html(event)},
        "group": CONTEXT if event.is_context else getattr(event, group),
    }
    if len(known) == 2:
        out["end_date"] = timeline_date(known[1])
    return out


def title(mission: Mission) -> dict[str, Any]:
    """The title slide: the mission's name and summary."""
    return {"text": {"headline": str(escape(mission.name)), "text": str(escape(mission.summary))}}


def shown(event: Event, context: bool) -> bool:
    """Whether the document shows ``event``: context events only when ``context``."""
    return context or not event.is_context


def timeline(mission: Mission, events: Sequence[Event], group: str = "status",
             context: bool = False) -> dict[str, Any]:
    """The TimelineJS document: a title slide for the mission and one slide per event
    (context events only when ``context`` is true)."""
    return {"title": title(mission),
            "events": [slide(event, group) for event in events if shown(event, context)]}
