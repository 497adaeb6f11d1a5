"""An RFC 5545 iCalendar document of a mission's events, one all-day VEVENT each.

A day-precision event spans its days. An event known only to the month or the year is a
one-day marker on its first possible day, its date written in the title (``First steps on
the Moon (1969)``): a calendar would otherwise show it as a banner across the whole month
or year. An event with an open bound (``2030/..``) is a marker on its known bound.
``precision="day"`` leaves such events out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import icalendar

from api.formats import changed, date_span, day_precise, event_text
from api.models import Event, Mission
from schemas import dates

STATUS = {"occurred": "CONFIRMED", "planned": "TENTATIVE", "speculative": "TENTATIVE",
          "cancelled": "CANCELLED"}
UID_DOMAIN = "mission-timeline"
PRECISIONS = ("any", "day")


def vevent(event: Event, url: str) -> icalendar.Event:
    """An all-day event: the event's days, or a one-day marker when its dates are coarser
    or a bound is open (on the first known day: an open bound gives way to the other)."""
    first, last = dates.known_span(event.start, event.end)
    out = icalendar.Event()
    out.add("uid", f"{event.id}@{UID_DOMAIN}")  # stable: the event id never changes
    out.add("dtstamp", changed(event))
    out.add("dtstart", first)
    if day_precise(event):
        out.add("dtend", dates.day_after(last))  # DTEND of an all-day event is exclusive
        out.add("summary", event.title)
    else:
        out.add("dtend", dates.day_after(first))
        out.add("summary", f"{event.title} ({date_span(event)})")
    out.add("description", event_text(event))
    out.add("status", STATUS[event.status])
    out.add("categories", [event.type])
    out.add("url", url)
    if event.location:
        out.add("location", event.location)
    out.add("transp", "TRANSPARENT")  # a timeline entry never makes anyone busy
    return out


def calendar(mission: Mission, events: Sequence[Event], url_of: Callable[[Event], str],
             precision: str = "any") -> bytes:
    """The calendar; ``url_of(event)`` is the event's URL in the API. With
    ``precision="day"`` only events whose dates name days are in it."""
    return assemble(mission, [vevent(event, url_of(event)).to_ical() for event in events
                              if shown(event, precision)])


def shown(event: Event, precision: str) -> bool:
    """Whether a calendar of this ``precision`` holds ``event``."""
    return precision == "any" or day_precise(event)


END = b"END:VCALENDAR\r\n"


def assemble(mission: Mission, vevents: Sequence[bytes]) -> bytes:
    """The calendar from its events' VEVENTs, each already serialised (``to_ical()``):
    what icalendar writes for the calendar holding them (they come last, before END)."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Mission Timeline API//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("name", mission.name)
    cal.add("x-wr-calname", mission.name)
    cal.add("description", mission.summary)
    cal.add("refresh-interval", dt.timedelta(days=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "P1D")
    head = cal.to_ical()
    return head.removesuffix(END) + b"".join(vevents) + END
