"""The calendar as calendar apps show it: days for day-precise events, never a long banner
for an event known only to the month or the year. Read back with icalendar."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from api.extensions import db
from api.formats import day_precise
from api.models import Event
from schemas import dates

CALENDAR = "/v1/missions/the-challenge/calendar.ics"


@pytest.fixture
def app(seeded_app: Flask) -> Flask:
    return seeded_app


def vevents(client: FlaskClient, url: str = CALENDAR) -> dict[str, icalendar.Event]:
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    return {str(v["UID"]).split("@")[0]: v
            for v in icalendar.Calendar.from_ical(response.data).walk("VEVENT")}


def events(app: Flask) -> dict[str, Event]:
    with app.app_context():
        found = {e.id: e for e in db.session.scalars(select(Event))}
        db.session.expunge_all()
        return found


def days(vevent: icalendar.Event) -> int:
    start, end = vevent.decoded("DTSTART"), vevent.decoded("DTEND")
    assert type(start) is dt.date and type(end) is dt.date  # all-day, not timed
    return (end - start).days


def test_coarse_dates_are_one_day_markers_with_the_date_in_the_title(
    client: FlaskClient, app: Flask
) -> None:
    cal, by_id = vevents(client), events(app)
    assert set(cal) == set(by_id)
    coarse = [id for id, event in by_id.items() if not day_precise(event)]
    assert "first-moon-steps-1969" in coarse and "post-production" in coarse
    for id in coarse:  # on the first known day (an open start gives way to the end)
        assert days(cal[id]) == 1, id
        first = dates.known_span(by_id[id].start, by_id[id].end)[0]
        assert cal[id].decoded("DTSTART") == first, id
    assert str(cal["first-moon-steps-1969"]["SUMMARY"]) == "First steps on the Moon (1969)"
    assert str(cal["gagarin-first-human-spaceflight"]["SUMMARY"]).endswith("(April 1961)")
    assert str(cal["post-production"]["SUMMARY"]).endswith(
        "(c. October 2021 \N{EN DASH} 2022)")
    assert str(cal["china-crewed-moon-landing-plan"]["SUMMARY"]).endswith("(2030 onwards)")
    made = cal["the-challenge-co-production"]
    assert str(made["SUMMARY"]).endswith("(by 11 October 2021)")
    assert made.decoded("DTSTART") == dt.date(2021, 10, 11)
    # The longest entry is a day-precise range (the twelve-day shoot), not a month or a year.
    assert max(days(v) for v in cal.values()) == 13


def test_day_precise_events_keep_their_titles_and_span_their_days(
    client: FlaskClient, app: Flask
) -> None:
    cal = vevents(client)
    for id, event in events(app).items():
        if day_precise(event):
            assert str(cal[id]["SUMMARY"]) == event.title
            assert days(cal[id]) == (event.latest - event.earliest).days + 1, id


def test_precision_day_leaves_coarse_events_out(client: FlaskClient, app: Flask) -> None:
    only_days = vevents(client, CALENDAR + "?precision=day")
    expected = {id for id, event in events(app).items() if day_precise(event)}
    assert set(only_days) == expected
    assert "soyuz-ms-19-launch" in expected and "first-moon-steps-1969" not in expected
    combined = vevents(client, CALENDAR + "?precision=day&type=launch")
    assert set(combined) == {"soyuz-ms-19-launch"}
