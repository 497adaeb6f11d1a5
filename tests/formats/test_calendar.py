"""The calendar as calendar apps show it: all-day events, days for day-precise events,
never a long banner for an event known only to the month or the year; tentative plans,
descriptions with the citations, stable UIDs, and ``Accept: text/calendar`` on a mission.
Read back with icalendar."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
from flask import Flask
from flask.testing import FlaskClient
from formats_common import CALENDAR, MISSION, calendar_events, event_ids, events_where
from sqlalchemy import select
from support import SEEDED, assert_problem

from api.extensions import db
from api.formats import day_precise, display_date
from api.models import Citation, Event
from schemas import dates


@pytest.fixture
def app(seeded_app: Flask) -> Flask:
    return seeded_app


def vevents(client: FlaskClient, url: str = CALENDAR) -> dict[str, icalendar.Event]:
    return {str(v["UID"]).split("@")[0]: v for v in calendar_events(client, url)}


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
    assert str(cal["post-production"]["SUMMARY"]).endswith("(until 2022)")
    assert cal["post-production"].decoded("DTSTART") == dt.date(2022, 1, 1)
    # Known only as "by" a day, or with an unknown start: a marker on that day, said so.
    training = cal["crew-training"]
    assert str(training["SUMMARY"]).endswith("(by 5 October 2021)")
    assert training.decoded("DTSTART") == dt.date(2021, 10, 5) and days(training) == 1
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


def test_calendar_has_all_day_events_never_longer_than_their_days(
    client: FlaskClient, app: Flask
) -> None:
    by_uid = {str(v["UID"]): v for v in calendar_events(client)}
    assert len(by_uid) == len(event_ids(app))

    def span(event_id: str) -> tuple[dt.date, dt.date]:
        v = by_uid[f"{event_id}@mission-timeline"]
        start, end = v.decoded("DTSTART"), v.decoded("DTEND")
        assert type(start) is dt.date and type(end) is dt.date  # all-day, not timed
        return start, end

    assert span("soyuz-ms-19-launch") == (dt.date(2021, 10, 5), dt.date(2021, 10, 6))
    assert span("iss-filming") == (dt.date(2021, 10, 5), dt.date(2021, 10, 18))
    # Coarser dates are a one-day marker on their first day, never a month or year banner
    # (the tests above); an open bound gives way to the known one.
    assert span("gagarin-first-human-spaceflight") == (dt.date(1961, 4, 1), dt.date(1961, 4, 2))
    assert span("first-moon-steps-1969") == (dt.date(1969, 1, 1), dt.date(1969, 1, 2))
    assert span("post-production") == (dt.date(2022, 1, 1), dt.date(2022, 1, 2))
    assert span("china-crewed-moon-landing-plan") == (dt.date(2030, 1, 1), dt.date(2030, 1, 2))
    assert span("the-challenge-co-production") == (dt.date(2021, 10, 11), dt.date(2021, 10, 12))


def test_calendar_entries_say_where_and_one_off_events_take_one_day(
    client: FlaskClient, app: Flask
) -> None:
    cal, by_id = vevents(client), events(app)
    located = {id for id, event in by_id.items() if event.location}
    assert {"soyuz-ms-19-launch", "iss-filming"} <= located < set(by_id)
    for id, event in by_id.items():  # a calendar app shows LOCATION under the title
        assert (str(cal[id]["LOCATION"]) if "LOCATION" in cal[id] else None) == event.location
    assert str(cal["soyuz-ms-19-launch"]["LOCATION"]) == "Baikonur Cosmodrome, Kazakhstan"
    # The televised call with Mission Control, reported by 11 October: that one day, not
    # a week's banner.
    call = cal["mission-control-video-link"]
    assert call.decoded("DTSTART") == dt.date(2021, 10, 11) and days(call) == 1


def test_calendar_marks_plans_tentative_and_describes_with_citations(
    client: FlaskClient, app: Flask
) -> None:
    by_uid = {str(v["UID"]).split("@")[0]: v for v in calendar_events(client)}
    for event in events_where(app):
        v = by_uid[event.id]
        expected = {"occurred": "CONFIRMED", "planned": "TENTATIVE",
                    "speculative": "TENTATIVE"}[event.status]
        assert v["STATUS"] == expected, event.id
        assert v["SUMMARY"] == event.title if day_precise(event) else v["SUMMARY"].startswith(
            event.title + " (")
        description = str(v["DESCRIPTION"])
        assert description.startswith(event.summary)
        assert f"When: {display_date(event)}" in description
        with app.app_context():
            quotes = db.session.scalars(select(Citation.quote).where(Citation.event_id == event.id))
            assert all(quote in description for quote in quotes), event.id
    url = str(by_uid["soyuz-ms-19-launch"]["URL"])
    assert client.get(url).json["id"] == "soyuz-ms-19-launch"


def test_calendar_uids_are_stable(client: FlaskClient) -> None:
    first = [str(v["UID"]) for v in calendar_events(client)]
    assert len(set(first)) == len(first)
    assert first == [str(v["UID"]) for v in calendar_events(client)]
    planned = [str(v["UID"]) for v in calendar_events(client, CALENDAR + "?status=planned")]
    assert set(planned) < set(first)  # filtering does not renumber anything


@pytest.mark.parametrize("accept", ["text/calendar", "text/calendar, application/json;q=0.5"])
def test_mission_answers_accept_text_calendar(client: FlaskClient, accept: str) -> None:
    response = client.get(MISSION, headers={"Accept": accept})
    assert response.mimetype == "text/calendar"
    assert response.data == client.get(CALENDAR).data
    assert len(icalendar.Calendar.from_ical(response.data).walk("VEVENT")) == SEEDED["events"]
    assert "Accept" in response.headers.getlist("Vary")
    as_json = client.get(MISSION, headers={"Accept": "*/*"})
    assert as_json.json["id"] == "the-challenge"
    assert as_json.headers["ETag"] != response.headers["ETag"]
    assert "Accept" in as_json.headers.getlist("Vary")  # caches keep the two apart
    assert_problem(client.get("/v1/missions/nope", headers={"Accept": accept}), 404)
