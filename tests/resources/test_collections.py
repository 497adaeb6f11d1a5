"""Missions, sources and people; pagination across pages."""

from __future__ import annotations

import base64
import json

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support import SEEDED, assert_problem


@pytest.fixture
def app(seeded_app: Flask) -> Flask:
    return seeded_app


def test_mission_list_and_detail(client: FlaskClient) -> None:
    page = client.get("/v1/missions").json
    assert [m["id"] for m in page["items"]] == ["the-challenge"]
    assert page["next"] is None
    mission = client.get("/v1/missions/the-challenge").json
    assert "Soyuz MS-19" in mission["summary"] or "Soyuz MS-19" in mission["name"]
    events = client.get(mission["links"]["events"]).json
    assert events["items"] and all(e["mission"] == "the-challenge" for e in events["items"])


def test_source_detail_lists_the_events_it_supports(client: FlaskClient) -> None:
    sources = client.get("/v1/sources").json["items"]
    assert len(sources) == SEEDED["sources"]
    assert all(s["file"].endswith(".txt") for s in sources)
    euronews = client.get("/v1/sources/003_edd1603faf14b1a0").json
    assert euronews["publisher"] == "Euronews"
    assert euronews["stated_date"] is None  # the article does not say: nothing invented
    written = euronews["written_date"]  # but its content dates it, and says how
    assert written["date"] == "2021-10-05" and written["inferred"] is True
    assert written["basis"]["reference"]["url"].endswith("/v1/events/soyuz-ms-19-docking")
    untitled = client.get("/v1/sources/004_ba6c03b084f54831").json
    assert untitled["title_supplied"] is True and "supplied by the curators" in untitled["title"]
    assert untitled["stated_date"]["date"] == "2022-02-23"
    assert untitled["written_date"]["date"] == "2021-10-05"
    ids = {e["id"] for e in euronews["events"]}
    assert "soyuz-ms-19-launch" in ids
    launch = client.get("/v1/events/soyuz-ms-19-launch").json
    assert any(c["source"] == euronews["id"] for c in launch["citations"])


def test_person_records_every_spelling(client: FlaskClient) -> None:
    person = client.get("/v1/people/klim-shipenko").json
    assert person["name"] == "Klim Shipenko"
    assert any("Chipenko" in alias for alias in person["aliases"])
    assert "iss-filming" in {e["id"] for e in person["events"]}
    assert client.get("/v1/people/nobody").status_code == 404


@pytest.mark.parametrize("collection", ["missions", "sources", "people", "events"])
@pytest.mark.parametrize("sort", ["start", "-start"])
def test_walking_the_pages_loses_and_repeats_nothing(
    client: FlaskClient, collection: str, sort: str
) -> None:
    extra = {"sort": sort} if collection == "events" else {}
    everything = client.get(f"/v1/{collection}", query_string={"limit": 100, **extra}).json
    assert everything["next"] is None
    seen, url, query, pages = [], f"/v1/{collection}", {"limit": 3, **extra}, []
    while url:
        response = client.get(url, query_string=query)
        page = response.json
        assert len(page["items"]) <= 3
        seen += [item["id"] for item in page["items"]]
        links = [f'<{page[rel]}>; rel="{rel}"' for rel in ("next", "prev") if page[rel]]
        assert response.headers.get("Link") == (", ".join(links) or None)
        assert (page["prev"] is None) == (not pages)
        url, query = page["next"], None
        pages.append([item["id"] for item in page["items"]])
    assert seen == [item["id"] for item in everything["items"]]
    assert len(set(seen)) == len(seen)
    assert len(pages) == max(1, -(-len(seen) // 3))
    # ... and back from the last page by `prev`, page for page
    back, url = [], client.get(response.request.url).json["prev"]
    while url:
        page = client.get(url).json
        back.insert(0, [item["id"] for item in page["items"]])
        url = page["prev"]
    assert back == pages[:-1]


def test_next_link_keeps_the_filters(client: FlaskClient) -> None:
    first = client.get("/v1/events?status=occurred&limit=2").json
    second = client.get(first["next"]).json
    assert "status=occurred" in first["next"]
    assert all(e["status"] == "occurred" for e in second["items"])


@pytest.mark.parametrize("cursor", [
    "garbage",
    base64.urlsafe_b64encode(b'{"k": ["not-a-date", "x"], "d": false}').decode(),
    base64.urlsafe_b64encode(b'{"k": [1], "d": false}').decode(),
    base64.urlsafe_b64encode(json.dumps({"k": ["2021-10-05", "x"], "d": True}).encode()).decode(),
])
def test_tampered_cursor_is_a_clear_400(client: FlaskClient, cursor: str) -> None:
    assert_problem(client.get("/v1/events", query_string={"cursor": cursor}), 400, field="cursor")
