"""What the format tests share: the documents' URLs, reading them back (calendar events,
CSV rows, the text and tags of HTML), the seeded events they should show, and an event
whose data tries to inject markup and formulas."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from html.parser import HTMLParser

import icalendar
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from api.extensions import db
from api.models import Citation, Event, Source
from api.queries import SORT_KEYS

MISSION = "/v1/missions/the-challenge"
TIMELINE = f"{MISSION}/timelinejs"
TIMELINE_ALL = f"{TIMELINE}?context=1"  # context events too (left out by default)
CALENDAR = f"{MISSION}/calendar.ics"
JSON_FEED = f"{MISSION}/feed.json"
ATOM = f"{MISSION}/feed.atom"
CSV = "/v1/events.csv"
EMBED = "/embed/the-challenge"
FORMATS = [TIMELINE, CALENDAR, JSON_FEED, ATOM, CSV, EMBED]
ATOM_NS = "{http://www.w3.org/2005/Atom}"


def events_where(app: Flask, *conditions: object) -> list[Event]:
    with app.app_context():
        stmt = select(Event).where(*conditions).order_by(*SORT_KEYS)
        return list(db.session.scalars(stmt))


def event_ids(app: Flask, *conditions: object) -> list[str]:
    with app.app_context():
        stmt = select(Event.id).where(*conditions).order_by(*SORT_KEYS)
        return list(db.session.scalars(stmt))


def citation_counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        stmt = select(Citation.event_id, func.count()).group_by(Citation.event_id)
        return {event_id: count for event_id, count in db.session.execute(stmt)}


def next_link(header: str | None) -> str | None:
    match = re.search(r'<([^>]+)>; rel="next"', header or "")
    return match and match.group(1)


def calendar_events(client: FlaskClient, url: str = CALENDAR) -> list[icalendar.Event]:
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    return list(icalendar.Calendar.from_ical(response.data).walk("VEVENT"))


def csv_rows(client: FlaskClient, url: str = CSV) -> list[dict[str, str]]:
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")  # BOM: spreadsheets read UTF-8 right
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))


class TextOf(HTMLParser):
    """What a browser would build from an HTML fragment: its text, tags and links."""

    def __init__(self) -> None:
        super().__init__()
        self.text, self.tags, self.hrefs = "", {}, []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.setdefault(tag, []).append(attrs)
        self.hrefs += [value for name, value in attrs if name == "href"]

    def handle_data(self, data: str) -> None:
        self.text += data

    @classmethod
    def parse(cls, html: str) -> TextOf:
        parser = cls()
        parser.feed(html)
        parser.close()
        return parser


def hostile_event() -> Event:
    evil = Source(id="evil", file="x.txt", title="<img src=x onerror=alert(1)>",
                  publisher="Evil & Co", url="javascript:alert(1)", language="en")
    good = Source(id="good", file="y.txt", title="Good", publisher=None,
                  url="https://example.org/a?b=1&c=2", language="en")
    return Event(
        id="hostile", mission_id="m", type="plan", status="planned",
        title='=HYPERLINK("http://x")<script>alert(1)</script>',
        summary='</p><script>alert("s")</script>', tags=[], people=[],
        start={"date": "2030", "approximate": True}, end=None,
        earliest=dt.date(2030, 1, 1), latest=dt.date(2030, 12, 31),
        citations=[Citation(source=evil, quote="<b>bold</b> claim", supports=["title"]),
                   Citation(source=good, quote="a & b", supports=["title"])],
    )
