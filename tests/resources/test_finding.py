"""Finding events: search that finds, filters that compose and catch typos, lists a client
can page both ways, count and slim down (issue 10)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support import SEEDED, assert_problem

from api.cli.seed import DEFAULT_DIR, load_seeds
from api.extensions import db
from api.models import Event, Person, Source


def ids(client: FlaskClient, **params: Any) -> list[str]:
    """The ids of every event matching ``params``, in order, following ``next``."""
    found, url, query = [], "/v1/events", {"limit": 100, **params}
    while url:
        response = client.get(url, query_string=query)
        assert response.status_code == 200, response.json
        found += [item["id"] for item in response.json["items"]]
        url, query = response.json["next"], None
    return found


def problem(client: FlaskClient, query: str) -> str:
    return assert_problem(client.get(f"/v1/events?{query}"), 400)["detail"]


class TestSearch:
    @pytest.fixture
    def app(self, seeded_app: Flask) -> Flask:
        return seeded_app

    def test_soyuz_launch_finds_the_launch_first(self, client: FlaskClient) -> None:
        assert ids(client, q="soyuz launch")[0] == "soyuz-ms-19-launch"

    @pytest.mark.parametrize(("query", "expected", "field"), [
        ("Chipenko", "iss-filming", "people"),  # an alias of Klim Shipenko
        ("Peressild", "soyuz-ms-19-launch", "people"),  # an alias of Yulia Peresild
        ("docked", "soyuz-ms-19-docking", "title"),  # stemmed: "docks"
        ("moons", "first-moon-steps-1969", "title"),  # stemmed: "Moon"
        ("Vyzov", "iss-filming", "quotes"),
        ("Вызов", "iss-filming", "quotes"),  # Cyrillic
        ("вызов", "iss-filming", "quotes"),  # and case-folded
        ("Baikonur", "soyuz-ms-19-launch", "location"),
    ])
    def test_finds_what_a_reader_sees_under_any_form(
        self, client: FlaskClient, query: str, expected: str, field: str
    ) -> None:
        page = client.get("/v1/events", query_string={"q": query, "limit": 100}).json
        match = {item["id"]: item["match"] for item in page["items"]}
        assert expected in match
        assert field in match[expected]["fields"]

    def test_match_shows_why_with_a_highlighted_snippet(self, client: FlaskClient) -> None:
        items = client.get("/v1/events?q=Chipenko&limit=100").json["items"]
        assert all("<mark>Chipenko</mark>" in i["match"]["snippet"] for i in items)
        only_people = [i for i in items if i["match"]["fields"] == ["people"]]
        assert only_people  # found by the alias alone: the snippet names who it is
        assert all("Klim Shipenko" in i["match"]["snippet"] for i in only_people)
        assert "match" not in client.get("/v1/events?limit=1").json["items"][0]

    def test_relevance_is_the_default_order_with_q(self, client: FlaskClient) -> None:
        by_relevance = ids(client, q="soyuz")
        assert ids(client, q="soyuz", sort="relevance") == by_relevance
        by_start = ids(client, q="soyuz", sort="start")
        assert sorted(by_start) == sorted(by_relevance) and by_start != by_relevance
        pages, url = [], "/v1/events?q=soyuz&limit=2"
        while url:  # relevance pages neither lose nor repeat anything
            body = client.get(url).json
            pages += [item["id"] for item in body["items"]]
            url = body["next"]
        assert pages == by_relevance

    def test_relevance_ranks_a_window_then_goes_on_by_date(
        self, app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        exact, by_start = ids(client, q="soyuz"), ids(client, q="soyuz", sort="start")
        assert len(exact) > 4
        monkeypatch.setitem(app.config, "SEARCH_WINDOW", 3)  # fewer than match
        pages, bodies, url = [], [], "/v1/events?q=soyuz&sort=relevance&limit=2"
        while url:  # pages across the window's end neither lose nor repeat anything
            bodies.append(client.get(url).json)
            pages += [item["id"] for item in bodies[-1]["items"]]
            url = bodies[-1]["next"]
        assert sorted(pages) == sorted(exact) and len(set(pages)) == len(pages)
        window = pages[:3]
        assert window == [i for i in exact if i in window]  # ranked as exactly
        assert pages[3:] == [i for i in by_start if i not in window]  # then by date
        back, url = [], bodies[-1]["prev"]
        while url:  # and back again, across the window's end
            body = client.get(url).json
            back, url = [item["id"] for item in body["items"]] + back, body["prev"]
        assert back + [item["id"] for item in bodies[-1]["items"]] == pages

    def test_other_orders_find_every_match_past_the_window(
        self, app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        orders = ("start", "-start", "title", "-changed")
        exact = {sort: ids(client, q="soyuz", sort=sort) for sort in orders}
        monkeypatch.setitem(app.config, "SEARCH_WINDOW", 1)  # few match: a walk tests each
        for _ in range(2):  # the matches found, then remembered
            assert {sort: ids(client, q="soyuz", sort=sort) for sort in orders} == exact

    def test_snippets_are_escaped_html(self, client: FlaskClient) -> None:
        for item in client.get("/v1/events?q=shipenko&limit=100").json["items"]:
            snippet = item["match"]["snippet"]
            assert snippet.replace("<mark>", "").replace("</mark>", "").count("<") == 0


def test_the_index_follows_people_and_sources(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        load_seeds(DEFAULT_DIR)
    assert ids(client, q="Kosmonavtka") == []
    with app.app_context():
        person = db.session.get(Person, "yulia-peresild")
        person.aliases = [*person.aliases, "Kosmonavtka"]
        db.session.commit()
        involving = set(db.session.scalars(db.select(Event.id).where(
            Event.people.any(person_id="yulia-peresild"))))
    assert set(ids(client, q="Kosmonavtka")) == involving
    assert set(ids(client, person="Kosmonavtka")) == involving  # a spelling of the filter too
    with app.app_context():
        source = db.session.scalars(db.select(Source)).first()
        source.title = "Quasarwire dispatch"
        db.session.commit()
        citing = set(db.session.scalars(db.select(Event.id).where(
            Event.citations.any(source_id=source.id))))
    assert ids(client, q="quasarwire") == []  # a headline is not what an event is about
    assert citing and set(ids(client, source=source.id)) == citing


def test_match_follows_writes(app: Flask, client: FlaskClient) -> None:
    """Matches are remembered by event version: a write shows in the next page's match."""
    with app.app_context():
        load_seeds(DEFAULT_DIR)

    def match() -> dict[str, Any]:
        items = client.get("/v1/events?q=cosmodrome&limit=100").json["items"]
        return next(item["match"] for item in items if item["id"] == "soyuz-ms-19-launch")

    before = match()
    assert "location" in before["fields"] and "note" not in before["fields"]
    with app.app_context():
        event = db.session.get(Event, "soyuz-ms-19-launch")
        event.location, event.note = "Kazakhstan", "Lifted off from the cosmodrome."
        db.session.commit()
    after = match()
    assert "location" not in after["fields"] and "note" in after["fields"]
    assert after["snippet"] == "Lifted off from the <mark>cosmodrome</mark>."


def test_a_window_walk_follows_writes(app: Flask, client: FlaskClient,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    with app.app_context():
        load_seeds(DEFAULT_DIR)
    monkeypatch.setitem(app.config, "SEARCH_WINDOW", 1)
    before = ids(client, q="soyuz", sort="start")
    assert "first-moon-steps-1969" not in before
    with app.app_context():
        db.session.get(Event, "first-moon-steps-1969").note = "Long before any Soyuz."
        db.session.commit()
    assert set(ids(client, q="soyuz", sort="start")) == {*before, "first-moon-steps-1969"}


def test_synthetic_events_are_searchable_by_people(app: Flask, client: FlaskClient) -> None:
    result = app.test_cli_runner().invoke(args=["synth", "--events", "200"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        role = db.session.execute(db.text(
            "SELECT e.event_id, p.name FROM event_people e JOIN people p ON p.id = e.person_id"
        )).first()
    page = client.get("/v1/events", query_string={"q": role.name, "limit": 100}).json
    assert role.event_id in {item["id"] for item in page["items"]}


class TestFilters:
    @pytest.fixture
    def app(self, seeded_app: Flask) -> Flask:
        return seeded_app

    def test_repeated_values_match_any(self, client: FlaskClient) -> None:
        page = client.get("/v1/events?type=launch&type=docking&limit=100").json
        assert {item["type"] for item in page["items"]} == {"launch", "docking"}

    def test_a_minus_excludes(self, client: FlaskClient) -> None:
        every = client.get("/v1/events?limit=100").json["items"]
        kept = client.get("/v1/events?type=-context&limit=100").json["items"]
        assert {i["id"] for i in kept} == {i["id"] for i in every if i["type"] != "context"}
        assert len(kept) < len(every)

    def test_tag_location_precision(self, client: FlaskClient) -> None:
        every = client.get("/v1/events?limit=100").json["items"]
        for params, keep in [
            ("tag=iss", lambda i: "iss" in i["tags"]),
            ("tag=iss&tag=baikonur", lambda i: {"iss", "baikonur"} & set(i["tags"])),
            ("location=baikonur", lambda i: "baikonur" in (i["location"] or "").lower()),
            ("precision=year", lambda i: i["start"]["precision"] == "year"),
            ("precision=-day", lambda i: i["start"]["precision"] != "day"),
        ]:
            found = {i["id"] for i in client.get(f"/v1/events?{params}&limit=100").json["items"]}
            assert found == {i["id"] for i in every if keep(i)} and found, params

    def test_changed_since(self, client: FlaskClient) -> None:
        assert len(ids(client, changed_since="2000-01-01T00:00:00Z")) == SEEDED["events"]
        later = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
        assert ids(client, changed_since=later) == []

    @pytest.mark.parametrize("spelling", ["yulia-peresild", "Yulia Peresild", "Peressild",
                                          "Julia Peressild", "peresild", "PERESSILD"])
    def test_a_person_under_any_recorded_spelling(self, client: FlaskClient,
                                                  spelling: str) -> None:
        assert set(ids(client, person=spelling)) == set(ids(client, person="yulia-peresild"))
        assert "soyuz-ms-19-launch" in ids(client, person=spelling)

    @pytest.mark.parametrize(("query", "name", "hint"), [
        ("person=yulia-peresil", "person", "did you mean yulia-peresild?"),
        ("person=Peresilt", "person", "yulia-peresild"),
        ("person=nobody", "person", "/v1/people"),
        ("source=euronews", "source", "'source'"),
        ("mission=the-chalenge", "mission", "did you mean the-challenge?"),
        ("mission=-nope", "mission", "'mission'"),
        ("from=2022&to=2021", "from", "swap"),
        ("type=launch&type=party", "type", "'party'"),
    ])
    def test_unknown_ids_and_inverted_ranges_are_400s(
        self, client: FlaskClient, query: str, name: str, hint: str
    ) -> None:
        detail = problem(client, query)
        assert f"'{name}'" in detail and hint in detail


class TestLists:
    @pytest.fixture
    def app(self, seeded_app: Flask) -> Flask:
        return seeded_app

    def test_count_on_request(self, client: FlaskClient) -> None:
        assert client.get("/v1/events?limit=2").json["count"] is None
        first = client.get("/v1/events?limit=2&count=true&type=-context").json
        assert first["count"] == len(ids(client, type="-context"))
        deeper = client.get(first["next"]).json
        assert deeper["count"] == first["count"]
        assert client.get("/v1/events?q=soyuz&count=true").json["count"] == len(
            ids(client, q="soyuz"))

    @pytest.mark.parametrize("sort", ["title", "-title", "changed", "-changed", "-start"])
    def test_sort_keys(self, client: FlaskClient, sort: str) -> None:
        field = sort.removeprefix("-")
        every = client.get("/v1/events?limit=100").json["items"]
        walked = ids(client, sort=sort, limit=7)
        assert sorted(walked) == sorted(i["id"] for i in every)
        if field == "title":
            titles = {i["id"]: i["title"] for i in every}
            keys = [titles[i] for i in walked]
            assert keys == sorted(keys, reverse=sort.startswith("-"))
        back = client.get(f"/v1/events?sort={sort}&limit=7").json
        assert [i["id"] for i in back["items"]] == walked[:7]

    def test_fields_and_compact_view(self, client: FlaskClient) -> None:
        slim = client.get("/v1/events?fields=title&fields=start&limit=3").json["items"]
        assert [set(i) for i in slim] == [{"id", "title", "start"}] * 3
        compact = client.get("/v1/events?view=compact&limit=100")
        full = client.get("/v1/events?limit=100")
        assert set(compact.json["items"][0]) == {"id", "mission", "type", "status", "title",
                                                 "start", "end", "edtf", "links"}
        assert len(compact.data) * 3 < len(full.data)
        matched = client.get("/v1/events?q=soyuz&fields=title").json["items"][0]
        assert set(matched) == {"id", "title", "match"}
        assert problem(client, "fields=colour").startswith("Invalid query parameter 'fields")

    def test_the_openapi_document_describes_it(self, client: FlaskClient) -> None:
        spec = client.get("/openapi.json").json
        operation = spec["paths"]["/v1/events"]["get"]
        params = {p["name"]: p for p in operation["parameters"]}
        assert {"q", "sort", "count", "fields", "view", "tag", "location", "precision",
                "changed_since", "person", "type"} <= set(params)
        assert params["type"]["schema"]["type"] == "array"
        assert params["sort"]["schema"]["$ref"] == "#/components/schemas/Sort"
        assert "relevance" in spec["components"]["schemas"]["Sort"]["enum"]
        assert params["type"]["schema"]["items"]["$ref"].endswith("/EventTypeFilter")
        page = operation["responses"]["200"]["content"]["application/json"]["schema"]
        name = page["$ref"].rsplit("/", 1)[-1]
        body = spec["components"]["schemas"][name]
        assert {"items", "next", "prev", "count"} <= set(body["properties"])
        item = spec["components"]["schemas"][
            body["properties"]["items"]["items"]["$ref"].rsplit("/", 1)[-1]]
        assert "match" in item["properties"] and "required" not in item
