"""Every resource links to its other representations, and `/` answers people and programs
each in their own format."""

from __future__ import annotations

import csv
import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support import make_app

MISSION = "/v1/missions/the-challenge"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
# What each of a mission's links must answer with.
MISSION_LINKS = {
    "self": "application/json", "events": "application/json", "key_event": "application/json",
    "embed": "text/html",
    "timelinejs": "application/json", "calendar": "text/calendar",
    "feed_json": "application/feed+json", "feed_atom": "application/atom+xml",
    "csv": "text/csv",
}


@pytest.fixture
def app(seeded_app: Flask) -> Flask:
    return seeded_app


def mimetype_of(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.mimetype


def test_a_mission_links_to_every_representation(client: FlaskClient) -> None:
    links = client.get(MISSION).json["links"]
    assert {name: mimetype_of(client, url) for name, url in links.items()} == MISSION_LINKS
    assert links["csv"].endswith("/v1/events.csv?mission=the-challenge")
    assert links["key_event"].endswith("/v1/events/soyuz-ms-19-launch")


def test_an_event_links_to_its_mission_revisions_and_the_timeline_opened_on_it(
    client: FlaskClient,
) -> None:
    links = client.get("/v1/events/crew-returns-to-earth").json["links"]
    assert client.get(links["mission"]).json["id"] == "the-challenge"
    revisions = client.get(links["revisions"]).json
    assert revisions["items"][0]["action"] == "create"
    embed = client.get(links["embed"]).get_data(as_text=True)
    assert 'data-start-at="crew-returns-to-earth"' in embed
    assert mimetype_of(client, links["calendar"]) == "text/calendar"
    listed = client.get("/v1/events?limit=1").json["items"][0]["links"]
    assert set(listed) == set(links)  # lists carry the same links


@pytest.mark.parametrize(("url", "filter"), [("/v1/people/klim-shipenko", "person"),
                                             ("/v1/sources/003_edd1603faf14b1a0", "source")])
def test_people_and_sources_link_their_events_as_a_table(
    client: FlaskClient, url: str, filter: str
) -> None:
    links = client.get(url).json["links"]
    rows = csv.DictReader(io.StringIO(client.get(links["csv"]).data.decode("utf-8-sig")))
    events = client.get(links["events"] + "&limit=100").json["items"]
    assert links["csv"].endswith(f"/v1/events.csv?{filter}={url.rsplit('/', 1)[1]}")
    assert [row["id"] for row in rows] == [e["id"] for e in events]


@pytest.mark.parametrize("accept", [None, "*/*", "application/json",
                                    "application/json, text/html;q=0.5"])
def test_index_is_json_for_programs(client: FlaskClient, accept: str | None) -> None:
    response = client.get("/", headers={"Accept": accept} if accept else {})
    assert response.mimetype == "application/json"
    assert "Accept" in response.headers.getlist("Vary")
    links = response.json["links"]
    mission = client.get(MISSION).json["links"]
    assert links["mission"] == mission["self"]
    for name in MISSION_LINKS.keys() - {"self", "events", "key_event"}:  # its formats
        assert links[name] == mission[name], name
    assert mimetype_of(client, links["embed"]) == "text/html"
    assert mimetype_of(client, links["calendar"]) == "text/calendar"


@pytest.mark.parametrize("accept", [BROWSER, "text/html"])
def test_index_is_a_page_for_browsers(client: FlaskClient, accept: str) -> None:
    response = client.get("/", headers={"Accept": accept})
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "Accept" in response.headers.getlist("Vary")
    html = response.get_data(as_text=True)
    assert '<meta name="viewport"' in html and "<script" not in html
    iframe = re.search(r'<iframe class="timeline" src="([^"]+)"', html)
    assert iframe and iframe.group(1) == "/embed/the-challenge"
    hrefs = {"http://localhost" + href for href in re.findall(r'href="([^"]+)"', html)}
    index = client.get("/").json["links"]
    for name in ("docs", "openapi", "embed", "timelinejs", "calendar", "feed_atom", "csv"):
        assert index[name] in hrefs, name
    assert response.headers["ETag"] != client.get("/").headers["ETag"]


def test_index_page_on_an_empty_database_still_links_the_docs(backend: str, tmp_path) -> None:
    for empty in make_app(backend, tmp_path, seeded=False):
        client = empty.test_client()
        page = client.get("/", headers={"Accept": BROWSER}).get_data(as_text=True)
        assert "<iframe" not in page and 'href="/docs"' in page
        assert "embed" not in client.get("/").json["links"]


def test_openapi_documents_both_index_representations(client: FlaskClient) -> None:
    ok = client.get("/openapi.json").json["paths"]["/"]["get"]["responses"]["200"]
    assert {"application/json", "text/html"} <= set(ok["content"])
    assert "Vary" in ok["headers"]


def test_index_answers_without_the_database(tmp_path) -> None:
    from api import create_app

    gone = create_app({"TESTING": True,
                       "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/db.sqlite"})
    client = gone.test_client()
    assert client.get("/readyz").status_code == 503
    index = client.get("/")
    assert index.status_code == 200 and "docs" in index.json["links"]
    assert "embed" not in index.json["links"]
    page = client.get("/", headers={"Accept": BROWSER})
    assert page.status_code == 200 and 'href="/docs"' in page.get_data(as_text=True)
