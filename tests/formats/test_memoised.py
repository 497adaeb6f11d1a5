"""Documents built from memoised per-event pieces (api/http/cache/fragments.py) stay byte
for byte what rendering them whole gives, cold, warm and after an event changes."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from formats_common import MISSION, TIMELINE
from sqlalchemy import select
from support import make_app

from api.extensions import db
from api.formats import ical, table, timelinejs
from api.models import Event, Mission
from api.queries import SORT_KEYS, WITH_DETAILS
from schemas.timelinejs import TimelineSchema


def mission_events(mission: Mission) -> list[Event]:
    """The mission's events with their details, loaded now (nothing memoised)."""
    return list(db.session.scalars(select(Event).where(Event.mission_id == mission.id)
                                   .order_by(*SORT_KEYS).options(*WITH_DETAILS)))


def test_timelinejs_is_the_schema_dump_cold_and_warm(backend: str, tmp_path: Path) -> None:
    """Slides are memoised by event version: the document stays byte for byte the schema's
    dump of the mission's events, before and after an event changes."""
    for app in make_app(backend, tmp_path, seeded=True, RESPONSE_CACHE=False):
        client = app.test_client()

        def expected(url: str, group: str, app: Flask = app) -> bytes:
            with app.test_request_context(url):
                mission = db.session.get(Mission, "the-challenge")
                events = mission_events(mission)
                doc = TimelineSchema().dump(timelinejs.timeline(mission, events, group))
                return app.json.response(doc).get_data()

        for url, group in ((TIMELINE, "status"), (TIMELINE + "?group=type", "type")):
            cold, warm = client.get(url), client.get(url)
            assert cold.get_data() == warm.get_data() == expected(url, group)
            assert cold.headers["ETag"] == warm.headers["ETag"]
        with app.app_context():
            db.session.get(Event, "soyuz-ms-19-launch").title = "Renamed <launch>"
            db.session.commit()
        changed = client.get(TIMELINE)
        assert b"Renamed &lt;launch&gt;" in changed.get_data()
        assert changed.get_data() == expected(TIMELINE, "status")


def test_calendar_and_csv_are_the_whole_document_cold_and_warm(backend: str,
                                                                tmp_path: Path) -> None:
    """Their per-event pieces are memoised by event version: the documents stay byte for
    byte what rendering the mission's events whole gives, before and after a change."""
    for app in make_app(backend, tmp_path, seeded=True, RESPONSE_CACHE=False):
        client = app.test_client()

        def expected(url: str, app: Flask = app) -> bytes:
            with app.test_request_context(url):
                mission = db.session.get(Mission, "the-challenge")
                events = mission_events(mission)
                def url_of(e: Event) -> str:
                    return f"http://localhost/v1/events/{e.id}"
                if url.endswith(".ics"):
                    return ical.calendar(mission, events, url_of)
                return ("\ufeff" + table.table(events, url_of)).encode()

        for url in (f"{MISSION}/calendar.ics", "/v1/events.csv?mission=the-challenge"):
            assert client.get(url).get_data() == client.get(url).get_data() == expected(url)
            with app.app_context():
                db.session.get(Event, "soyuz-ms-19-launch").title = f"Renamed for {url}"
                db.session.commit()
            changed = client.get(url).get_data()
            assert f"Renamed for {url}".encode() in changed and changed == expected(url)


def test_timelinejs_follows_its_missions_name(backend: str, tmp_path: Path) -> None:
    """The whole document is memoised for its events' versions and its mission: renaming
    the mission shows at once, with a new ETag."""
    for app in make_app(backend, tmp_path, seeded=True, RESPONSE_CACHE=False):
        client = app.test_client()
        before = client.get(TIMELINE)
        assert client.get(TIMELINE).get_data() == before.get_data()
        with app.app_context():
            db.session.get(Mission, "the-challenge").name = "Vyzov, renamed"
            db.session.commit()
        after = client.get(TIMELINE)
        assert after.json["title"]["text"]["headline"] == "Vyzov, renamed"
        assert after.headers["ETag"] != before.headers["ETag"]
