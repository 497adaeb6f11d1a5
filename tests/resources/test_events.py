"""Reading events: filters, detail, and honest dates."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support import assert_problem

from schemas import dates


@pytest.fixture
def app(seeded_app: Flask) -> Flask:
    return seeded_app


def all_events(client: FlaskClient, **params: Any) -> list[dict]:
    """Every event matching ``params``, following ``next`` links."""
    items, url = [], "/v1/events"
    query: dict[str, Any] | None = {"limit": 100, **params}
    while url:
        response = client.get(url, query_string=query)
        assert response.status_code == 200, response.json
        items += response.json["items"]
        url, query = response.json["next"], None
    return items


def test_event_detail_has_citations_people_and_location(client: FlaskClient) -> None:
    event = client.get("/v1/events/soyuz-ms-19-launch").json
    assert event["type"] == "launch"
    assert event["status"] == "occurred"
    start = event["start"]
    assert {k: start[k] for k in ("date", "precision", "approximate", "inferred")} == {
        "date": "2021-10-05", "precision": "day", "approximate": False, "inferred": True}
    assert event["edtf"] == "2021-10-05"
    assert "Baikonur" in event["location"]
    assert {p["person"] for p in event["people"]} >= {"yulia-peresild", "klim-shipenko"}
    assert all(p["name"] and p["role"] for p in event["people"])
    citation = event["citations"][0]
    assert set(citation) >= {"source", "source_title", "source_publisher", "quote", "supports"}
    euronews = [c for c in event["citations"] if c["source"] == "003_edd1603faf14b1a0"]
    assert euronews and euronews[0]["source_publisher"] == "Euronews"
    assert event["links"]["self"].endswith("/v1/events/soyuz-ms-19-launch")


def test_every_event_is_cited(client: FlaskClient) -> None:
    events = all_events(client)
    assert len(events) >= 30
    assert all(event["citations"] for event in events)


def test_inferred_and_approximate_dates_say_so(client: FlaskClient) -> None:
    shoot = client.get("/v1/events/iss-filming").json
    assert shoot["start"]["date"] == "2021-10-05"
    end = shoot["end"]
    assert (end["date"], end["precision"], end["approximate"], end["inferred"]) == (
        "2021-10-17", "day", True, True)  # twelve days from the docking: the 16th or 17th
    assert shoot["edtf"] == "2021-10-05/2021-10-17~"
    plan = client.get("/v1/events/china-crewed-moon-landing-plan").json
    assert plan["start"]["precision"] == "year"
    assert plan["start"]["approximate"] is False  # "as early as 2030": a bound, not "about"
    assert plan["end"] == {"date": "..", "precision": "open", "approximate": False,
                           "inferred": False}
    assert plan["edtf"] == "2030/.."
    assert plan["status"] in {"planned", "speculative"}
    trips = client.get("/v1/events/bezos-branson-tourist-flights").json
    assert trips["start"]["approximate"] is True and trips["edtf"] == "2021~"


def test_every_date_shows_how_it_was_reached(client: FlaskClient) -> None:
    """The launch date, derived step by step: docking (stated) -> 003's writing -> Tuesday."""
    launch = client.get("/v1/events/soyuz-ms-19-launch").json["start"]["basis"]
    assert launch["rule"] == "weekday-of-week" and launch["weekday"] == "tuesday"
    assert launch["quote"] == "taking off on Tuesday morning"
    assert launch["explanation"] == ("the Tuesday of the week of the day source "
                                     "'003_edd1603faf14b1a0' was written")
    source = client.get(launch["reference"]["url"]).json
    assert source["id"] == "003_edd1603faf14b1a0"
    written = source["written_date"]
    assert written["date"] == "2021-10-05" and written["basis"]["rule"] == "same-date"
    docking = client.get(written["basis"]["reference"]["url"]).json["start"]
    assert docking["date"] == "2021-10-05" and docking["inferred"] is False
    assert docking["basis"] == {"source": "004_ba6c03b084f54831", "rule": "stated",
                                "quote": "docked this Tuesday (05.10.2021)",
                                "explanation": "stated by source '004_ba6c03b084f54831'"}


def test_unknown_event_is_a_404_problem(client: FlaskClient) -> None:
    assert_problem(client.get("/v1/events/no-such-event"), 404, "no-such-event")


def test_events_sort_by_earliest_possible_day(client: FlaskClient) -> None:
    events = all_events(client)
    keys = [(dates.earliest(e["start"]["date"]), e["start"].get("order", 0), e["id"])
            for e in events]
    assert keys == sorted(keys)
    backwards = all_events(client, sort="-start")
    assert [e["id"] for e in backwards] == [e["id"] for e in reversed(events)]


@pytest.mark.parametrize(("arg", "value", "field"), [
    ("type", "launch", "type"),
    ("status", "speculative", "status"),
    ("mission", "the-challenge", "mission"),
])
def test_filter_by_field(client: FlaskClient, arg: str, value: str, field: str) -> None:
    matching = all_events(client, **{arg: value})
    assert matching and all(e[field] == value for e in matching)
    others = [e for e in all_events(client) if e[field] != value]
    assert len(matching) + len(others) == len(all_events(client))


def test_filter_by_person_and_source(client: FlaskClient) -> None:
    everything = all_events(client)
    by_person = all_events(client, person="anton-shkaplerov")
    assert {e["id"] for e in by_person} == {
        e["id"] for e in everything if any(p["person"] == "anton-shkaplerov" for p in e["people"])
    }
    assert "soyuz-ms-19-launch" in {e["id"] for e in by_person}
    by_source = all_events(client, source="002_b1cdcc080de666f9")
    assert by_source and {e["id"] for e in by_source} == {
        e["id"] for e in everything
        if any(c["source"] == "002_b1cdcc080de666f9" for c in e["citations"])
    }


def _span(event: dict) -> tuple[dt.date, dt.date]:
    return (dates.earliest(event["start"]["date"]),
            dates.latest((event["end"] or event["start"])["date"]))


@pytest.mark.parametrize(("start", "end"), [
    ("2021-10-05", "2021-10-05"), ("2021-10", "2021-10"), ("2030", None), (None, "2017"),
    ("2021-10-18", "2021-12-31"),
])
def test_date_range_matches_overlapping_events(
    client: FlaskClient, start: str | None, end: str | None
) -> None:
    params = {k: v for k, v in (("from", start), ("to", end)) if v}
    low = dates.earliest(start) if start else dt.date.min
    high = dates.latest(end) if end else dt.date.max
    expected = {e["id"] for e in all_events(client)
                if _span(e)[1] >= low and _span(e)[0] <= high}
    found = {e["id"] for e in all_events(client, **params)}
    assert found == expected and found


def test_year_precision_event_overlaps_a_day_inside_it(client: FlaskClient) -> None:
    found = {e["id"] for e in all_events(client, **{"from": "2030-06-01", "to": "2030-06-01"})}
    assert "china-crewed-moon-landing-plan" in found


def test_text_search_matches_all_words(client: FlaskClient) -> None:
    found = all_events(client, q="docks")
    assert found
    assert all("<mark>dock" in e["match"]["snippet"].lower() for e in found)
    assert all_events(client, q="Soyuz zzzunknownword") == []
    both = all_events(client, q="Soyuz BAIKONUR")
    assert both
    assert all("baikonur" in json.dumps(e).lower() and "soyuz" in json.dumps(e).lower()
               for e in both)
    assert len(both) < len(all_events(client, q="soyuz"))


def test_text_search_treats_wildcards_as_text(client: FlaskClient) -> None:
    assert all_events(client, q="%") == []
    assert all_events(client, q="_") == []


@pytest.mark.parametrize(("query", "name"), [
    ("type=party", "type"), ("status=maybe", "status"), ("from=2021-13", "from"),
    ("to=2021-02-30", "to"), ("sort=size", "sort"), ("sort=relevance", "sort"),
    ("from=2022&to=2021", "from"), ("limit=0", "limit"),
    ("limit=101", "limit"), ("limit=ten", "limit"), ("color=red", "color"),
])
def test_invalid_query_parameters_are_named(client: FlaskClient, query: str, name: str) -> None:
    assert_problem(client.get(f"/v1/events?{query}"), 400, field=name)
