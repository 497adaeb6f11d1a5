"""The timeline in other formats: TimelineJS, iCalendar, JSON Feed, Atom and CSV.

Each format is one function from the same filtered events to a document; the helpers here
say an event's date, text and citations the same way in all of them.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from typing import Any

from markupsafe import Markup, escape

from api.extensions import db
from api.models import Event, Source
from schemas import dates
from schemas.basis import describe, reference_words

# "Newest change first" for feeds: by the time of an event's latest revision. Events
# without one (bulk-loaded synthetic data) come last, newest date first.
CHANGE_ORDER = (Event.changed_at.desc().nulls_last(), Event.earliest.desc(),
                Event.day_order.desc(), Event.id.desc())


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
    """The event's dates as words at their precision: ``October 2021``, ``c. 2021``,
    ``2030 onwards`` (an open end), ``until 2022`` (an open start), ``by 11 October 2021``
    (known only as no later than the day a source reports it)."""
    start, end = event.start, event.end
    if start["date"] == dates.OPEN:  # an open start needs a dated end
        return f"{'by' if dates.known_by(end) else 'until'} {_date_text(end)}"
    if end and end["date"] == dates.OPEN:
        return f"{_date_text(start)} onwards"
    if end is None and dates.known_by(start):
        return f"by {_date_text(start)}"
    return _date_text(start) + (f" \N{EN DASH} {_date_text(end)}" if end else "")


def day_precise(event: Event) -> bool:
    """Whether every date of the event names a day (not only a month or a year, no bound
    is open, and none is known only as "by" a day)."""
    return all(dates.precision(d["date"]) == "day" and not dates.known_by(d)
               for d in (event.start, event.end) if d)


def display_date(event: Event) -> str:
    """The event's date as honest as its sources: e.g. ``2030 onwards (planned)``."""
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
    by what is known of it (publisher, author, when it was written), never by its bare id."""
    if source.title:
        return ", ".join(part for part in (source.title, source.publisher) if part)
    by = ", ".join(part for part in (source.publisher, source.author) if part)
    text = "Untitled article" + (f" ({by})" if by else "")
    day = source.written_date or source.stated_date
    return text + (f", {_date_text(day)}" if day else "")


def source_labels(event: Event, also: Iterable[str] = ()) -> dict[str, str]:
    """How a reader sees every source ``event`` names, by id: its citations', its dates'
    bases' (a basis may rest on a source the event does not cite) and ``also``'s."""
    labels = {c.source_id: source_label(c.source) for c in event.citations}
    named = {ident for date in (event.start, event.end) if date and date.get("basis")
             for ident in basis_sources(date["basis"])} | set(also)
    if missing := named - labels.keys():
        for source in db.session.scalars(db.select(Source).where(Source.id.in_(missing))):
            labels[source.id] = source_label(source)
    return labels


def basis_sources(basis: dict[str, Any]) -> set[str]:
    """The sources a basis names: its quote's, and the one its rule counts from."""
    reference = basis.get("reference") or {}
    return {basis["source"]} | ({reference["id"]} if reference.get("kind") == "source"
                                else set())


def explain(basis: dict[str, Any], labels: dict[str, str]) -> str:
    """How a basis reached its date (``stated``, or ``inferred as`` its rule in words),
    naming sources as a reader sees them (``labels``, by id)."""
    def name(kind: str, ident: str) -> str:
        return (f"the day {labels[ident]} was written" if ident in labels
                else reference_words(kind, ident))

    return "stated" if basis["rule"] == "stated" else f"inferred as {describe(basis, name)}"


def date_derivations(event: Event) -> list[str]:
    """How each of the event's dates was reached, in words (from its basis); sources are
    named as a reader sees them (``source_labels``), not by id."""
    labels = source_labels(event)
    lines = []
    for label, date in (("Start", event.start), ("End", event.end)):
        if not date:
            continue
        if date["date"] == dates.OPEN:
            lines.append(f"{label}: open \N{EM DASH} no source gives a bound.")
        elif date.get("basis"):
            basis = date["basis"]
            lines.append(f"{label} {_date_text(date)}: {explain(basis, labels)}, from "
                         f"\N{LEFT DOUBLE QUOTATION MARK}{basis['quote']}"
                         f"\N{RIGHT DOUBLE QUOTATION MARK} "
                         f"({labels.get(basis['source'], basis['source'])}).")
    return lines


def event_html(event: Event) -> str:
    """The summary, the cited quotes and how the dates were reached as HTML; every piece
    of data is escaped. The quotes come right after the summary, so that a slide on a
    phone shows the first one without scrolling."""
    derived = Markup("").join(Markup("<li>{}</li>").format(line)
                              for line in date_derivations(event))
    how = Markup("<p>How the dates were reached:</p><ul>{}</ul>").format(derived) if derived \
        else Markup("")
    items = []
    for citation in event.citations:
        name = escape(source_label(citation.source))
        url = web_url(citation.source.url)
        cite = Markup('<a href="{}">{}</a>').format(url, name) if url else name
        items.append(Markup("<li><q>{}</q> — <cite>{}</cite></li>").format(citation.quote, cite))
    return str(Markup("<p>{}</p><p>Sources:</p><ul>{}</ul>{}").format(
        event.summary, Markup("").join(items), how))


def event_text(event: Event) -> str:
    """The summary, date and cited quotes as plain text."""
    lines = [event.summary, "", f"When: {display_date(event)}", *date_derivations(event)]
    if event.location:
        lines.append(f"Where: {event.location}")
    lines += ["", "Sources:"]
    for citation in event.citations:
        url = web_url(citation.source.url)
        link = f" <{url}>" if url else ""
        lines.append(f"“{citation.quote}” — {source_label(citation.source)}{link}")
    return "\n".join(lines)
