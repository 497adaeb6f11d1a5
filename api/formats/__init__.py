"""The timeline in other formats: TimelineJS, iCalendar, JSON Feed, Atom and CSV.

Each format is one function from the same filtered events to a document; the helpers here
say an event's date, text and citations the same way in all of them.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from markupsafe import Markup, escape

from api.models import Event
from schemas import dates

# "Newest change first" for feeds: by the time of an event's latest revision. Events
# without one (bulk-loaded synthetic data) come last, newest date first.
CHANGE_ORDER = (Event.changed_at.desc().nulls_last(), Event.earliest.desc(), Event.id.desc())


def changed(event: Event) -> dt.datetime:
    """When ``event`` last changed (UTC); midnight of its earliest day if it has no history."""
    moment = event.changed_at or dt.datetime.combine(event.earliest, dt.time())
    return moment.replace(tzinfo=dt.UTC)


def _date_text(date: dict[str, Any]) -> str:
    year, month, day = dates.parse(date["date"])
    text = str(year)
    if month:
        text = f"{calendar.month_name[month]} {text}"
    if day:
        text = f"{day} {text}"
    return ("c. " if date.get("approximate") else "") + text


def date_span(event: Event) -> str:
    """The event's dates as words at their precision: ``October 2021``, ``c. 2030``."""
    text = _date_text(event.start)
    if event.end:
        text += f" \N{EN DASH} {_date_text(event.end)}"
    return text


def day_precise(event: Event) -> bool:
    """Whether every date of the event names a day (not only a month or a year)."""
    return all(dates.precision(d["date"]) == "day" for d in (event.start, event.end) if d)


def display_date(event: Event) -> str:
    """The event's date as honest as its sources: e.g. ``c. 2030 (planned)``."""
    text = date_span(event)
    notes = [] if event.status == "occurred" else [event.status]
    if any(d and d.get("inferred") for d in (event.start, event.end)):
        notes.append("date inferred")
    return text + (f" ({', '.join(notes)})" if notes else "")


def web_url(url: str | None) -> str | None:
    """``url`` when it is an http(s) link, else None: no ``javascript:`` in a page."""
    return url if url and url.lower().startswith(("https://", "http://")) else None


def source_label(source: Any) -> str:
    """How a reader sees a source: its title and publisher; an untitled one is described
    by what is known of it (publisher, author, date), never by its bare id."""
    if source.title:
        return ", ".join(part for part in (source.title, source.publisher) if part)
    by = ", ".join(part for part in (source.publisher, source.author) if part)
    text = "Untitled article" + (f" ({by})" if by else "")
    day = source.published
    return text + (f", {day.day} {calendar.month_name[day.month]} {day.year}" if day else "")


def event_html(event: Event) -> str:
    """The summary and cited quotes as HTML; every piece of data is escaped."""
    items = []
    for citation in event.citations:
        name = escape(source_label(citation.source))
        url = web_url(citation.source.url)
        cite = Markup('<a href="{}">{}</a>').format(url, name) if url else name
        items.append(Markup("<li><q>{}</q> — <cite>{}</cite></li>").format(citation.quote, cite))
    return str(
        Markup("<p>{}</p><p>Sources:</p><ul>{}</ul>").format(event.summary, Markup("").join(items))
    )


def event_text(event: Event) -> str:
    """The summary, date and cited quotes as plain text."""
    lines = [event.summary, "", f"When: {display_date(event)}"]
    if event.location:
        lines.append(f"Where: {event.location}")
    lines += ["", "Sources:"]
    for citation in event.citations:
        url = web_url(citation.source.url)
        link = f" <{url}>" if url else ""
        lines.append(f"“{citation.quote}” — {source_label(citation.source)}{link}")
    return "\n".join(lines)
