"""Time travel by the standard (RFC 7089): a record's URL is its TimeGate, `as_of` answers
are mementos, `/timemap` lists them all; a deleted record is 410 with its TimeMap."""

from __future__ import annotations

import re
from typing import Any

from curation_common import get
from flask import Flask
from flask.testing import FlaskClient
from support import assert_problem, new_event

EVENT = "/v1/events/crew-medical-check"
IMMUTABLE = "public, max-age=31536000, immutable"
LATER = {"Accept-Datetime": "Fri, 01 Jan 2100 00:00:00 GMT"}
ENTRY = re.compile(r'<([^>]+)>((?:;\s*[\w-]+="[^"]*")+)')


def timemap_json(client: FlaskClient, url: str) -> list[dict[str, Any]]:
    """Every memento of a JSON TimeMap, following its pages (two per page)."""
    items, page = [], client.get(f"{url}/timemap?limit=2")
    while True:
        assert page.status_code == 200 and page.json["original"] == f"http://localhost{url}"
        items += page.json["items"]
        if not page.json["next"]:
            return items
        assert 'rel="next"' in page.headers["Link"]
        page = client.get(page.json["next"])


def timemap_links(client: FlaskClient, url: str) -> list[tuple[str, dict[str, str]]]:
    """Every entry of the link-format TimeMap (RFC 6690), following its pages."""
    entries: list[tuple[str, dict[str, str]]] = []
    next_url: str | None = f"{url}/timemap?limit=2"
    while next_url:
        page = client.get(next_url, headers={"Accept": "application/link-format"})
        assert page.status_code == 200 and page.mimetype == "application/link-format"
        found = [(target, dict(re.findall(r'([\w-]+)="([^"]*)"', params)))
                 for target, params in ENTRY.findall(page.get_data(as_text=True))]
        assert found[0] == (f"http://localhost{url}", {"rel": "original timegate"})
        assert found[1][1]["rel"] == "self"
        entries += [entry for entry in found if "memento" in entry[1]["rel"].split()]
        next_url = next((target for target, params in found if params["rel"] == "next"), None)
    return entries


def edit(client: FlaskClient, url: str, alice: dict[str, str], **change: Any) -> None:
    _, etag = get(client, url)
    response = client.patch(url, json=change, headers={**alice, "If-Match": f'"{etag}"'})
    assert response.status_code == 200, response.json


def assert_links(response: Any, url: str) -> None:
    link = response.headers["Link"]
    assert f'<http://localhost{url}>; rel="original timegate"' in link
    assert f'<http://localhost{url}/timemap>; rel="timemap"' in link


def test_walking_the_timemap_fetches_every_version_as_an_immutable_memento(
    curated: Flask, client: FlaskClient, alice: dict[str, str]
) -> None:
    assert client.post("/v1/events", json=new_event(), headers=alice).status_code == 201
    titles = ["Crew passes the medical check", "Second title", "Third title"]
    for title in titles[1:]:
        edit(client, EVENT, alice, title=title)

    mementos = timemap_json(client, EVENT)
    assert [m["revision"] for m in mementos] == [1, 2, 3]
    links = timemap_links(client, EVENT)
    assert [target for target, _ in links] == [m["url"] for m in mementos]
    assert [params["rel"] for _, params in links] == ["first memento", "memento",
                                                      "last memento"]
    for memento, title, (_, params) in zip(mementos, titles, links, strict=True):
        assert params["datetime"] == memento["datetime"]
        response = client.get(memento["url"])
        assert response.status_code == 200 and response.json["title"] == title
        assert response.headers["Memento-Datetime"] == memento["datetime"]
        assert response.headers["Cache-Control"] == IMMUTABLE
        assert "Accept-Datetime" not in response.headers.get("Vary", "")
        assert_links(response, EVENT)
        # the body is the `as_of` answer of that moment, and the revision's snapshot
        same = client.get(EVENT, query_string={"as_of": memento["at"]})
        assert same.get_data() == response.get_data()
        snapshot = client.get(memento["revision_url"]).json["snapshot"]
        assert response.json["title"] == snapshot["title"]
        # the TimeGate: a version counts from the second its Memento-Datetime names, so
        # the date finds the last version made in that second
        gate = client.get(EVENT, headers={"Accept-Datetime": memento["datetime"]})
        assert gate.status_code == 302 and "Accept-Datetime" in gate.headers["Vary"]
        latest = [m for m in mementos if m["datetime"] == memento["datetime"]][-1]
        assert gate.headers["Location"] == latest["url"]
        assert_links(gate, EVENT)

    # an as_of between versions shows the one in force; immutable only once a later exists
    now = client.get(EVENT, query_string={"as_of": "2100-01-01T00:00:00Z"})
    assert now.json["title"] == titles[-1] and now.headers["Cache-Control"] != IMMUTABLE
    assert now.headers["Memento-Datetime"] == mementos[-1]["datetime"]


def test_the_original_varies_by_accept_datetime_and_the_cache_never_answers_for_the_gate(
    curated: Flask, client: FlaskClient
) -> None:
    url = "/v1/events/soyuz-ms-19-launch"
    for _ in range(2):  # the second is answered by the response cache
        plain = client.get(url)
        assert plain.status_code == 200 and "Accept-Datetime" in plain.headers["Vary"]
        assert_links(plain, url)
    gate = client.get(url, headers=LATER)
    assert gate.status_code == 302
    assert gate.headers["Location"] == timemap_json(client, url)[-1]["url"]
    pinned = client.get(gate.headers["Location"], headers=LATER)
    assert pinned.status_code == 200  # a memento is no TimeGate: the header is ignored


def test_a_bad_or_too_early_accept_datetime_is_a_problem(curated: Flask,
                                                         client: FlaskClient) -> None:
    url = "/v1/events/soyuz-ms-19-launch"
    for bad in ("yesterday", "2021-10-05T00:00:00Z", "Thu, 31 Feb 2021 00:00:00 GMT"):
        assert_problem(client.get(url, headers={"Accept-Datetime": bad}), 400,
                       "header 'Accept-Datetime'")
    early = client.get(url, headers={"Accept-Datetime": "Tue, 05 Oct 2021 08:55:00 GMT"})
    assert_problem(early, 404, "existed at")  # before the first version: no memento
    assert_links(early, url)
    assert_problem(client.get("/v1/events/nothing", headers=LATER), 404)
    assert_problem(client.get("/v1/events/nothing/timemap"), 404)


def test_a_deleted_record_is_gone_with_its_timemap_link(
    curated: Flask, client: FlaskClient, alice: dict[str, str]
) -> None:
    assert client.post("/v1/events", json=new_event(), headers=alice).status_code == 201
    kept = timemap_json(client, EVENT)
    _, etag = get(client, EVENT)
    assert client.delete(EVENT, headers={**alice, "If-Match": f'"{etag}"'}).status_code == 204
    for response in (client.get(EVENT),
                     client.get(EVENT, headers=LATER),
                     client.get(EVENT, query_string={"as_of": "2100-01-01T00:00:00Z"})):
        assert_problem(response, 410, "deleted")
        assert f'<http://localhost{EVENT}/timemap>; rel="timemap"' in response.headers["Link"]
    assert timemap_json(client, EVENT) == kept  # the deletion is no memento
    assert client.get(kept[0]["url"]).status_code == 200


def test_people_and_sources_have_mementos_of_their_own_fields(
    curated: Flask, client: FlaskClient, alice: dict[str, str]
) -> None:
    url = "/v1/people/klim-shipenko"
    before = client.get(url).json
    edit(client, url, alice, name="Klim A. Shipenko")
    first, second = timemap_json(client, url)
    old, new = client.get(first["url"]), client.get(second["url"])
    assert (old.json["name"], new.json["name"]) == (before["name"], "Klim A. Shipenko")
    assert {k: v for k, v in before.items() if k != "events"} == old.json
    assert old.headers["Cache-Control"] == IMMUTABLE
    assert old.headers["Memento-Datetime"] == first["datetime"]
    assert_links(old, url)
    assert "events" not in old.json
    source = "/v1/sources/004_ba6c03b084f54831"
    (only,) = timemap_json(client, source)
    gate = client.get(source, headers={"Accept-Datetime": only["datetime"]})
    assert gate.status_code == 302 and gate.headers["Location"] == only["url"]
    assert client.get(only["url"]).json["id"] == "004_ba6c03b084f54831"


def test_the_openapi_document_describes_the_timegate_and_the_timemap(
    curated: Flask, client: FlaskClient
) -> None:
    paths = client.get("/openapi.json").json["paths"]
    for kind in ("events", "people", "sources"):
        get_item = paths[f"/v1/{kind}/{{id}}"]["get"]
        assert "Accept-Datetime" in [p["name"] for p in get_item["parameters"]]
        assert {"Location", "Vary", "Link"} <= set(get_item["responses"]["302"]["headers"])
        assert {"Memento-Datetime", "Link", "Vary"} <= set(
            get_item["responses"]["200"]["headers"])
        timemap = paths[f"/v1/{kind}/{{id}}/timemap"]["get"]["responses"]["200"]["content"]
        assert {"application/json", "application/link-format"} <= set(timemap)
