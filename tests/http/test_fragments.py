"""Events' memoised JSON (api/http/cache/fragments.py): the same bytes as dumping EventSchema, and
never stale after any kind of write."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask, request
from flask.testing import FlaskClient
from support import SEEDED, bearer, make_app
from webargs.flaskparser import parser

from api.cli.seed import DEFAULT_DIR, load_seeds
from api.queries import EventQuery, get_event, load_events, search
from schemas import EventQuerySchema, EventSchema, page_of

EVENT = "soyuz-ms-19-launch"
SOURCE = "004_ba6c03b084f54831"  # cited 20 times, by EVENT and 10 other events
LEAF = "kalachev-pr-criticism"  # no other date derives from it: it can be deleted
PERSON = "anton-shkaplerov"
PAGE = "/v1/events?limit=100"


@pytest.fixture
def app(backend: str, tmp_path: Path) -> Iterator[Flask]:
    """The curated dataset, the response cache off: every GET is computed (the cold path)."""
    yield from make_app(backend, tmp_path, seeded=True, RESPONSE_CACHE=False)


@pytest.fixture
def writer(app: Flask) -> dict[str, str]:
    return bearer(app)


def dumped(app: Flask, url: str, base_url: str = "http://localhost") -> bytes:
    """What the response to ``url`` must be: its events loaded and dumped by EventSchema
    now, with nothing memoised."""
    with app.test_request_context(url, base_url=base_url):
        if request.endpoint == "events.Events":
            args = parser.parse(EventQuerySchema(), request, location="query")
            rows, page, _ = EventQuery.of(args).page()
            found = {event.id: event for event in load_events([row.id for row in rows])}
            page["items"] = [found[row.id] for row in rows]
            obj = {**page_of(EventSchema)().dump(page), "facets": None}
            if "q" in args:  # events_page is in date order: ask for sort=start
                matches = search.highlights(args["q"], [e["id"] for e in obj["items"]])
                obj["items"] = [{**e, "match": matches[e["id"]]} for e in obj["items"]]
        else:
            obj = EventSchema().dump(get_event(request.view_args["id"]))
        return app.json.response(obj).get_data()


def fresh(app: Flask, client: FlaskClient, url: str = PAGE) -> dict:
    """GET ``url``, check it is byte for byte what dumping the events now gives."""
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_data() == dumped(app, url)
    return response.json


def item(page: dict, id: str) -> dict:
    return next(event for event in page["items"] if event["id"] == id)


def change(client: FlaskClient, url: str, body: dict, headers: dict[str, str]) -> None:
    etag = client.get(url).headers["ETag"]
    response = client.patch(url, json=body, headers={**headers, "If-Match": etag})
    assert response.status_code == 200, response.json


def test_pages_are_the_bytes_of_the_schema_dump_cold_and_warm(app: Flask,
                                                               client: FlaskClient) -> None:
    first = client.get("/v1/events?limit=7").json
    urls = ["/v1/events?limit=7", first["next"].removeprefix("http://localhost"),
            "/v1/events?limit=5&sort=-start&status=occurred",
            "/v1/events?q=soyuz&limit=3&sort=start",
            f"/v1/events?source={SOURCE}", "/v1/events?from=2100&type=launch",
            f"/v1/events/{EVENT}"]
    for url in urls:
        app.extensions["fragment_cache"].clear()
        cold = fresh(app, client, url)
        assert fresh(app, client, url) == cold  # now from the memo
    assert first["next"] and client.get("/v1/events?from=2100&type=launch").json == {
        "items": [], "next": None, "prev": None, "next_cursor": None, "prev_cursor": None,
        "count": None, "facets": None}


def test_links_follow_the_host_asked(app: Flask, client: FlaskClient) -> None:
    fresh(app, client)
    app.config["TRUSTED_HOSTS"] = ["localhost", "timeline.example.org"]
    other = client.get(PAGE, base_url="https://timeline.example.org")
    assert other.get_data() == dumped(app, PAGE, "https://timeline.example.org")
    assert item(other.json, EVENT)["links"]["self"].startswith("https://timeline.example.org/")


def test_an_event_changed_through_the_api_shows_at_once(
    app: Flask, client: FlaskClient, writer: dict[str, str]
) -> None:
    fresh(app, client), fresh(app, client, f"/v1/events/{EVENT}")
    change(client, f"/v1/events/{EVENT}", {"title": "Lift-off"}, writer)
    assert item(fresh(app, client), EVENT)["title"] == "Lift-off"
    assert fresh(app, client, f"/v1/events/{EVENT}")["title"] == "Lift-off"


def test_citation_writes_show_at_once(app: Flask, client: FlaskClient,
                                      writer: dict[str, str]) -> None:
    before = len(item(fresh(app, client), EVENT)["citations"])
    response = client.post(f"/v1/events/{EVENT}/citations", headers=writer, json={
        "source": SOURCE, "quote": "Soyuz MS-19", "supports": ["title"]})
    assert response.status_code == 201, response.json
    assert len(item(fresh(app, client), EVENT)["citations"]) == before + 1
    citation = response.json["id"]
    change(client, f"/v1/citations/{citation}", {"quote": "MS-19"}, writer)
    assert item(fresh(app, client), EVENT)["citations"][before]["quote"] == "MS-19"


def test_a_source_retitled_shows_in_every_event_citing_it(
    app: Flask, client: FlaskClient, writer: dict[str, str]
) -> None:
    fresh(app, client)
    change(client, f"/v1/sources/{SOURCE}", {"title": "A new title"}, writer)
    page = fresh(app, client)
    shown = [c["source_title"] for e in page["items"] for c in e["citations"]
             if c["source"] == SOURCE]
    assert len(shown) >= 20 and set(shown) == {"A new title"}


def test_a_person_renamed_shows_in_every_event_involving_them(
    app: Flask, client: FlaskClient, writer: dict[str, str]
) -> None:
    fresh(app, client)
    change(client, f"/v1/people/{PERSON}", {"name": "A. Shkaplerov"}, writer)
    names = [p["name"] for e in fresh(app, client)["items"] for p in e["people"]
             if p["person"] == PERSON]
    assert names and set(names) == {"A. Shkaplerov"}


def test_a_deleted_event_leaves_the_page(app: Flask, client: FlaskClient,
                                         writer: dict[str, str]) -> None:
    fresh(app, client), fresh(app, client, f"/v1/events/{LEAF}")
    etag = client.get(f"/v1/events/{LEAF}").headers["ETag"]
    assert client.delete(f"/v1/events/{LEAF}",
                         headers={**writer, "If-Match": etag}).status_code == 204
    assert LEAF not in {e["id"] for e in fresh(app, client)["items"]}
    assert client.get(f"/v1/events/{LEAF}").status_code == 410
    assert client.get("/v1/events/no-such-event").status_code == 404


def test_a_seed_edit_shows_at_once(app: Flask, client: FlaskClient, seeds_copy: Path) -> None:
    fresh(app, client)
    events = seeds_copy / "events.yaml"
    events.write_text(events.read_text().replace(
        "title: Soyuz MS-19 lifts off with the film crew", "title: Seeded lift-off"))
    people = seeds_copy / "people.yaml"
    people.write_text(people.read_text().replace("name: Anton Shkaplerov", "name: Shkaplerov"))
    with app.app_context():
        load_seeds(str(seeds_copy), overwrite=True)
    page = fresh(app, client)
    assert item(page, EVENT)["title"] == "Seeded lift-off"
    assert {p["name"] for e in page["items"] for p in e["people"]
            if p["person"] == PERSON} == {"Shkaplerov"}
    with app.app_context():
        load_seeds(DEFAULT_DIR, overwrite=True)
    assert item(fresh(app, client), EVENT)["title"] == "Soyuz MS-19 lifts off with the film crew"


def test_a_synth_reload_shows_at_once(app: Flask, client: FlaskClient) -> None:
    runner, url = app.test_cli_runner(), "/v1/events?limit=100&mission=synth-0000"
    assert runner.invoke(args=["synth", "--events", "60", "--seed", "1"]).exit_code == 0
    before = fresh(app, client, url)
    assert runner.invoke(args=["synth", "--events", "60", "--seed", "2"]).exit_code == 0
    after = fresh(app, client, url)
    assert len(after["items"]) == 60 and after != before


def test_the_memo_is_bounded_by_bytes(backend: str, tmp_path: Path) -> None:
    for app in make_app(backend, tmp_path, seeded=True, RESPONSE_CACHE=False,
                        FRAGMENT_CACHE_BYTES=20_000):
        client = app.test_client()
        for url in ("/v1/events?limit=2", PAGE):  # about 4 KB, then about 100 KB
            assert fresh(app, client, url) == fresh(app, client, url)
        assert len(fresh(app, client)["items"]) == SEEDED["events"]
        assert 0 < app.extensions["fragment_cache"].entries.currsize <= 20_000


def test_a_count_follows_events_off_the_page(app: Flask, client: FlaskClient,
                                             writer: dict[str, str]) -> None:
    """A page is memoised whole for the versions it shows; its count still follows a
    change to an event that is not on it."""
    url = "/v1/events?limit=2&count=true"
    first = client.get(url).json
    assert LEAF not in {e["id"] for e in first["items"]}
    etag = client.get(f"/v1/events/{LEAF}").headers["ETag"]
    assert client.delete(f"/v1/events/{LEAF}",
                         headers={**writer, "If-Match": etag}).status_code == 204
    second = client.get(url).json
    assert second["items"] == first["items"] and second["count"] == first["count"] - 1
