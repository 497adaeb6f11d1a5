"""A timeline pinned to a moment: the TimelineJS document `as_of` a moment shows the
mission's events as they were then, and the embed page passes `as_of` on to it."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from support import assert_problem, new_event
from test_embed_page import page

TIMELINE = "/v1/missions/the-challenge/timelinejs"
EVENT = "/v1/events/soyuz-ms-19-launch"


def headlines(client: FlaskClient, query: str = "") -> dict[str, str]:
    response = client.get(f"{TIMELINE}{query}")
    assert response.status_code == 200, response.json
    return {slide["unique_id"]: slide["text"]["headline"] for slide in response.json["events"]}


def write(client: FlaskClient, alice: dict[str, str], method: str, url: str,
          **body: Any) -> None:
    etag = client.get(url).headers["ETag"]
    response = client.open(url, method=method, json=body or None,
                           headers={**alice, "If-Match": etag})
    assert response.status_code in (200, 204), response.json


def test_a_timeline_as_of_a_moment_shows_the_events_as_they_were(
    curated: Flask, client: FlaskClient, alice: dict[str, str]
) -> None:
    before = headlines(client)
    moment = dt.datetime.now(dt.UTC).isoformat()  # after seeding, before the writes
    write(client, alice, "PATCH", EVENT, title="Soyuz MS-19 lifts off")
    assert client.post("/v1/events", json=new_event(), headers=alice).status_code == 201
    write(client, alice, "DELETE", "/v1/events/crew-medical-check")
    now = headlines(client)
    assert now["soyuz-ms-19-launch"] == "Soyuz MS-19 lifts off"
    assert "crew-medical-check" not in now

    pinned = headlines(client, f"?as_of={quote(moment)}")
    assert pinned == before  # every event as it was, the later one not yet there
    (created,) = client.get("/v1/events/crew-medical-check/timemap").json["items"]
    between = headlines(client, f"?as_of={created['at']}")  # after the edit, before the delete
    assert between["crew-medical-check"] == "Crew passes the medical check"
    assert between["soyuz-ms-19-launch"] == "Soyuz MS-19 lifts off"
    assert headlines(client, "?as_of=2000-01-01T00:00:00Z") == {}

    refused = client.get(f"{TIMELINE}?as_of={quote(moment)}&type=launch")
    assert_problem(refused, 400, "type", field="as_of")


def test_the_embed_page_passes_as_of_to_its_document(curated: Flask,
                                                    client: FlaskClient) -> None:
    timeline = page(client, "/embed/the-challenge?as_of=2100-01-01T00:00:00Z&group=type"
                    ).by_id("timeline")
    data = urlsplit(timeline["data-url"])
    assert parse_qs(data.query) == {"as_of": ["2100-01-01T00:00:00Z"], "group": ["type"]}
    assert client.get(f"{data.path}?{data.query}").json["events"]
    message = page(client, "/embed/the-challenge?as_of=2100-01-01T00:00:00Z&type=launch",
                   400).text
    assert "as_of" in message and "Leave out type" in message


def test_the_timeline_is_a_timegate_with_a_timemap_of_every_change(
    curated: Flask, client: FlaskClient, alice: dict[str, str]
) -> None:
    seeded, before = timemap(client), headlines(client)["soyuz-ms-19-launch"]
    write(client, alice, "PATCH", EVENT, title="Soyuz MS-19 lifts off")
    versions = timemap(client)
    assert versions[:-1] == seeded and len(versions) == len(seeded) + 1
    assert versions[-1]["revision_url"].endswith(f"{EVENT}/revisions/2")
    for version, title in ((versions[-2], before), (versions[-1], "Soyuz MS-19 lifts off")):
        memento = client.get(version["url"])
        assert memento.status_code == 200
        assert memento.headers["Memento-Datetime"] == version["datetime"]
        assert f'<http://localhost{TIMELINE}>; rel="original timegate"' in memento.headers["Link"]
        slides = {s["unique_id"]: s["text"]["headline"] for s in memento.json["events"]}
        assert slides["soyuz-ms-19-launch"] == title
    gate = client.get(f"{TIMELINE}?group=type",
                      headers={"Accept-Datetime": versions[-1]["datetime"]})
    assert gate.status_code == 302 and "Accept-Datetime" in gate.headers["Vary"]
    last_that_second = [v for v in versions if v["datetime"] == versions[-1]["datetime"]][-1]
    assert gate.headers["Location"] == last_that_second["url"].replace("?", "?group=type&")
    assert "Accept-Datetime" in client.get(TIMELINE).headers["Vary"]
    filtered = client.get(f"{TIMELINE}?type=launch",
                          headers={"Accept-Datetime": versions[-1]["datetime"]})
    assert filtered.status_code == 200  # a filtered document is not versioned
    early = client.get(TIMELINE, headers={"Accept-Datetime": "Fri, 01 Jan 2021 00:00:00 GMT"})
    assert_problem(early, 404)


def timemap(client: FlaskClient) -> list[dict[str, Any]]:
    items, url = [], f"{TIMELINE}/timemap?limit=7"
    while url:
        page = client.get(url)
        assert page.status_code == 200
        items += page.json["items"]
        url = page.json["next"]
    return items
