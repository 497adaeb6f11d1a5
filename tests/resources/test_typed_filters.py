"""Filters as people type them (issue 24): locations by word and initials, search that is
about the event and not the article's headline, people by a first name or any spelling,
comma lists, a count on every list, and facet counts."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support import assert_problem

from api.queries import places


@pytest.fixture
def app(seeded_app: Flask) -> Flask:
    return seeded_app


def every(client: FlaskClient, **params: Any) -> list[dict[str, Any]]:
    """Every event matching ``params``, following ``next_cursor`` (not the URL)."""
    found, query = [], {"limit": 100, **params}
    while True:
        body = client.get("/v1/events", query_string=query).json
        found += body["items"]
        if body["next_cursor"] is None:
            return found
        query = {**query, "cursor": body["next_cursor"]}


def ids(client: FlaskClient, **params: Any) -> set[str]:
    return {item["id"] for item in every(client, **params)}


@pytest.mark.parametrize(("location", "words", "initials"), [
    ("International Space Station", "space station", "iss"),
    ("Mission Control, Moscow", "moscow", "mc"),
    ("International Space Station (Russian segment)", "russian segment", "iss"),
])
def test_a_location_answers_to_its_words_and_initials(location: str, words: str,
                                                      initials: str) -> None:
    assert places.matches(location, words) and places.matches(location, initials)
    assert not places.matches(location, "iss" if initials != "iss" else "ss")
    assert not places.matches("Mission Control, Moscow", "iss")  # a piece of "Mission"


def test_location_iss_finds_the_station_not_mission_control(client: FlaskClient) -> None:
    everything = every(client)
    on_station = {e["id"] for e in everything
                  if "International Space Station" in (e["location"] or "")}
    assert len(on_station) >= 2
    assert ids(client, location="iss") == on_station
    assert ids(client, location="ISS") == on_station
    assert ids(client, location="international space station") == on_station
    assert not ids(client, location="iss") & {e["id"] for e in everything
                                               if "Mission" in (e["location"] or "")}
    assert ids(client, location="-iss") == {e["id"] for e in everything
                                            if e["location"] and e["id"] not in on_station}
    assert ids(client, location="atlantis") == set()


def test_search_leaves_out_matches_only_in_a_sources_title(client: FlaskClient) -> None:
    """'docks' is in a source's headline; events that only cite that article are not
    about docking."""
    found = every(client, q="docking")
    assert found and all("dock" in " ".join(str(v) for v in (
        e["title"], e["summary"], e["note"], e["location"], e["tags"],
        [c["quote"] for c in e["citations"]])).lower() for e in found)
    assert all("sources" not in e["match"]["fields"] for e in found)
    assert "soyuz-ms-19-docking" in {e["id"] for e in found}


@pytest.mark.parametrize(("spelling", "person"), [
    ("Klim", "klim-shipenko"), ("klim", "klim-shipenko"), ("Yulia", "yulia-peresild"),
    ("Julia", "yulia-peresild"), ("Anton", "anton-shkaplerov")])
def test_a_person_by_first_name_or_any_spelling(client: FlaskClient, spelling: str,
                                                person: str) -> None:
    assert ids(client, person=spelling) == ids(client, person=person) != set()


def test_a_misspelt_first_name_suggests_the_right_person(client: FlaskClient) -> None:
    problem = assert_problem(client.get("/v1/events?person=Yuliya"), 400, "yulia-peresild")
    assert "doug-liman" not in problem["detail"]


def test_comma_lists_wherever_a_parameter_repeats(client: FlaskClient) -> None:
    repeated = client.get("/v1/events?type=launch&type=docking&limit=100").json["items"]
    assert {i["type"] for i in repeated} == {"launch", "docking"}
    commas = client.get("/v1/events?type=launch,docking&limit=100").json["items"]
    assert commas == repeated
    slim = client.get("/v1/events?fields=title,edtf&limit=3").json["items"]
    assert [set(i) for i in slim] == [{"id", "title", "edtf"}] * 3
    assert ids(client, person="Klim,Yulia") == ids(client, person="klim-shipenko") | ids(
        client, person="yulia-peresild")
    # a value holding a comma: repeat the parameter, and it is taken whole
    both = ids(client, location=["Moscow, Russia", "Baikonur"])
    assert both and both == ids(client, location="Moscow Russia") | ids(
        client, location="Baikonur")
    assert_problem(client.get("/v1/events?type=launch,party"), 400, field="party")


@pytest.mark.parametrize("path", ["/v1/events", "/v1/people", "/v1/sources", "/v1/missions",
                                  "/v1/disputes", "/v1/events/soyuz-ms-19-launch/citations",
                                  "/v1/events/soyuz-ms-19-launch/revisions"])
def test_count_on_every_list(client: FlaskClient, path: str) -> None:
    assert client.get(path).json["count"] is None
    body = client.get(path, query_string={"count": "true", "limit": 1}).json
    total, query = 0, {"limit": 1}
    while True:  # walked by next_cursor
        page = client.get(path, query_string=query).json
        total += len(page["items"])
        if page["next_cursor"] is None:
            break
        query["cursor"] = page["next_cursor"]
    assert body["count"] == total > 0


def test_facet_counts_for_the_filtered_set(client: FlaskClient) -> None:
    events = every(client, mission="the-challenge")
    body = client.get("/v1/events?mission=the-challenge&facets=type,status,person,tag"
                      "&limit=1").json
    facets = body["facets"]
    types = {f["value"]: f["count"] for f in facets["type"]}
    assert types == {t: sum(e["type"] == t for e in events) for t in {e["type"] for e in events}}
    counts = [f["count"] for f in facets["type"]]
    assert counts == sorted(counts, reverse=True)
    people = {f["value"]: f["count"] for f in facets["person"]}
    assert people["yulia-peresild"] == sum(
        any(p["person"] == "yulia-peresild" for p in e["people"]) for e in events)
    tags = {f["value"]: f["count"] for f in facets["tag"]}
    assert tags and all(n == sum(t in e["tags"] for e in events) for t, n in tags.items())
    assert {f["value"] for f in facets["status"]} == {e["status"] for e in events}
    assert facets.get("mission") is None
    launches = client.get("/v1/events?type=launch&facets=type").json["facets"]["type"]
    assert [f["value"] for f in launches] == ["launch"]
    assert client.get("/v1/events?limit=1").json["facets"] is None
    assert client.get("/v1/events?facets=colour").status_code == 400
