"""What every format shares: the event filters, errors as problems, revalidation and CORS,
its place in the OpenAPI document, escaped data, and documents bounded by links."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest
from flask import Flask
from flask.testing import FlaskClient
from formats_common import (
    ATOM,
    CALENDAR,
    CSV,
    EMBED,
    FORMATS,
    JSON_FEED,
    TIMELINE,
    TIMELINE_ALL,
    TextOf,
    calendar_events,
    csv_rows,
    event_ids,
    events_where,
    hostile_event,
    next_link,
)
from support import SEEDED, assert_problem, make_app

from api.formats import event_html, event_text, timelinejs
from api.models import Event


@pytest.fixture
def app(seeded_app: Flask) -> Flask:
    return seeded_app


@pytest.mark.parametrize(
    ("query", "condition"),
    [
        ("status=planned", Event.status == "planned"),
        ("type=launch", Event.type == "launch"),
        ("from=2030", Event.latest >= dt.date(2030, 1, 1)),
        ("to=1990", Event.earliest <= dt.date(1990, 12, 31)),
        ("person=klim-shipenko", Event.people.any(person_id="klim-shipenko")),
    ],
)
def test_event_filters_apply_to_every_format(
    client: FlaskClient, app: Flask, query: str, condition: object
) -> None:
    expected = event_ids(app, condition)
    assert 0 < len(expected) < SEEDED["events"]
    timeline = [s["unique_id"] for s in client.get(f"{TIMELINE_ALL}&{query}").json["events"]]
    assert timeline == expected
    uids = [str(v["UID"]).split("@")[0] for v in calendar_events(client, f"{CALENDAR}?{query}")]
    assert uids == expected
    feed = client.get(f"{JSON_FEED}?{query}").json
    assert sorted(item["url"].rsplit("/", 1)[1] for item in feed["items"]) == sorted(expected)
    atom = feedparser.parse(client.get(f"{ATOM}?{query}").data)
    assert len(atom.entries) == len(expected)
    assert [r["id"] for r in csv_rows(client, f"{CSV}?{query}")] == expected


@pytest.mark.parametrize(
    ("url", "parameter"),
    [(f"{TIMELINE}?status=maybe", "status"), (f"{CALENDAR}?from=2021-13", "from"),
     (f"{JSON_FEED}?limit=5", "limit"), (f"{ATOM}?cursor=abc", "cursor"),
     (f"{CSV}?type=party", "type"), (f"{TIMELINE}?context=maybe", "context"),
     (f"{CALENDAR}?precision=hour", "precision"),
     (f"{TIMELINE}?cursor=bogus", "cursor")],
)
def test_bad_query_is_a_problem_naming_the_parameter(
    client: FlaskClient, url: str, parameter: str
) -> None:
    assert_problem(client.get(url), 400, f"query parameter '{parameter}'")


@pytest.mark.parametrize("url", [u.replace("the-challenge", "no-such-mission")
                                 for u in FORMATS if u not in (CSV, EMBED)])
def test_unknown_mission_is_a_404_problem(client: FlaskClient, url: str) -> None:
    assert_problem(client.get(url), 404, "no-such-mission")


@pytest.mark.parametrize("url", FORMATS)
def test_every_format_revalidates_and_is_readable_cross_origin(
    client: FlaskClient, url: str
) -> None:
    first = client.get(url, headers={"Origin": "https://newsroom.example"})
    assert first.status_code == 200
    assert first.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in first.headers["Access-Control-Expose-Headers"]
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"]
    assert client.get(url).headers["ETag"] == etag  # generated the same way every time
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""


def test_every_format_is_in_the_openapi_document(client: FlaskClient) -> None:
    paths = client.get("/openapi.json").json["paths"]
    expected = {
        "/v1/missions/{id}/timelinejs": "application/json",
        "/v1/missions/{id}/calendar.ics": "text/calendar",
        "/v1/missions/{id}/feed.json": "application/feed+json",
        "/v1/missions/{id}/feed.atom": "application/atom+xml",
        "/v1/events.csv": "text/csv",
        "/embed/{mission}": "text/html",
    }
    for path, content_type in expected.items():
        get = paths[path]["get"]
        assert content_type in get["responses"]["200"]["content"], path
        assert get["summary"], path
    query = {p["name"] for p in paths["/v1/events.csv"]["get"]["parameters"] if p["in"] == "query"}
    assert {"type", "status", "from", "to", "person", "mission", "sort", "cursor"} <= query


def test_data_cannot_inject_markup_into_html_formats() -> None:
    event = hostile_event()
    slide = timelinejs.slide(event, "status")
    for html in (event_html(event), slide["text"]["text"], slide["text"]["headline"]):
        parsed = TextOf.parse(html)
        assert not {"script", "img", "b"} & set(parsed.tags)
        assert all(href.startswith("https://") for href in parsed.hrefs)
    page = TextOf.parse(event_html(event))
    assert '</p><script>alert("s")</script>' in page.text  # shown as text, not run
    assert "<img src=x onerror=alert(1)>, Evil & Co" in page.text
    assert "<b>bold</b> claim" in page.text
    assert page.hrefs == ["https://example.org/a?b=1&c=2"]
    assert slide["display_date"] == "c. 2030 (planned)"
    assert "javascript:" not in event_text(event)


@pytest.fixture
def small_app(backend: str, tmp_path: Path) -> Iterator[Flask]:
    yield from make_app(backend, tmp_path, seeded=True, FORMAT_MAX_EVENTS=10)


def test_documents_are_bounded_and_link_to_the_rest(small_app: Flask) -> None:
    client = small_app.test_client()
    all_ids = event_ids(small_app)
    seen, url, pages = [], CSV, 0
    while url:
        response = client.get(url)
        seen += [r["id"] for r in csv.DictReader(io.StringIO(response.data.decode("utf-8-sig")))]
        pages += 1
        url = next_link(response.headers.get("Link"))
    assert seen == all_ids and pages == math.ceil(SEEDED["events"] / 10)  # 10 a document
    timeline = client.get(TIMELINE_ALL)
    assert len(timeline.json["events"]) == 10 and 'rel="next"' in timeline.headers["Link"]
    assert len(calendar_events(client)) == 10
    feed = client.get(JSON_FEED).json["items"]  # a feed shows the newest events
    newest = [e.id for e in sorted(events_where(small_app),
                                   key=lambda e: (e.earliest, e.day_order, e.id),
                                   reverse=True)][:10]
    assert [item["url"].rsplit("/", 1)[1] for item in feed] == newest
    assert len(feedparser.parse(client.get(ATOM).data).entries) == 10
