"""What every client relies on: index, docs, caching, CORS, problem+json, probes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support import assert_problem

from api import create_app

GETS = ["/", "/v1/missions", "/v1/missions/the-challenge", "/v1/events",
        "/v1/events/soyuz-ms-19-launch", "/v1/sources", "/v1/sources/003_edd1603faf14b1a0",
        "/v1/people", "/v1/people/klim-shipenko", "/openapi.json", "/healthz", "/readyz"]


@pytest.fixture
def app(seeded_app: Flask) -> Flask:
    return seeded_app


def test_index_links_to_everything(client: FlaskClient) -> None:
    index = client.get("/").json
    for name in ("missions", "events", "sources", "people", "openapi", "docs"):
        assert client.get(index["links"][name]).status_code == 200, name


def test_json_is_readable_in_a_terminal(client: FlaskClient) -> None:
    body = client.get("/").get_data(as_text=True)
    assert body.endswith("}\n") and '\n  "links": {' in body


@pytest.mark.parametrize("url", GETS)
def test_every_get_is_cacheable_and_revalidates(client: FlaskClient, url: str) -> None:
    first = client.get(url)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    assert first.headers["Cache-Control"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200


def test_etag_differs_between_representations(client: FlaskClient) -> None:
    one = client.get("/v1/events?limit=1").headers["ETag"]
    two = client.get("/v1/events?limit=2").headers["ETag"]
    assert one != two
    assert client.get("/v1/events?limit=1").headers["ETag"] == one


def test_probes_are_not_cached(client: FlaskClient) -> None:
    assert client.get("/healthz").headers["Cache-Control"] == "no-store"
    assert client.get("/readyz").json == {"status": "ok", "checks": {"database": "ok"}}


def test_cors_lets_any_origin_read_and_see_paging_headers(client: FlaskClient) -> None:
    response = client.get("/v1/events?limit=1", headers={"Origin": "https://news.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    exposed = response.headers["Access-Control-Expose-Headers"].lower().replace(" ", "")
    assert {"etag", "link"} <= set(exposed.split(","))
    preflight = client.options("/v1/events", headers={
        "Origin": "https://news.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "If-None-Match"})
    assert preflight.status_code == 200
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]


def test_cors_origins_can_be_a_list(tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/a.db",
                      "CORS_ORIGINS": "https://a.example, https://b.example"})
    client = app.test_client()
    for origin in ("https://a.example", "https://b.example"):
        response = client.get("/healthz", headers={"Origin": origin})
        assert response.headers["Access-Control-Allow-Origin"] == origin
        assert "Origin" in response.headers["Vary"]
    stranger = client.get("/healthz", headers={"Origin": "https://c.example"})
    assert "Access-Control-Allow-Origin" not in stranger.headers


def test_cors_answers_each_origin_and_method_as_it_asks(tmp_path: Path) -> None:
    """The headers worked out for one request are reused only for requests asking the
    same: another origin, a preflight or an error still gets its own answer."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/a.db",
                      "CORS_ORIGINS": "https://a.example, https://b.example"})
    client = app.test_client()
    asks = {"Access-Control-Request-Method": "GET"}
    for _ in range(2):
        for origin in ("https://a.example", "https://c.example", "https://b.example"):
            got = client.get("/healthz", headers={"Origin": origin}).headers
            assert got.get("Access-Control-Allow-Origin") == (
                None if origin == "https://c.example" else origin)
            assert "Access-Control-Allow-Methods" not in got
            preflight = client.options("/healthz", headers={"Origin": origin, **asks}).headers
            assert ("GET" in preflight.get("Access-Control-Allow-Methods", "")) is (
                origin != "https://c.example")
        missing = client.get("/nothing", headers={"Origin": "https://a.example"})
        assert missing.status_code == 404
        assert missing.headers.getlist("Access-Control-Allow-Origin") == ["https://a.example"]
    assert "Origin" in client.get("/healthz").headers["Vary"]


@pytest.mark.parametrize(("method", "url", "status", "phrase"), [
    ("GET", "/no/such/route", 404, "/no/such/route"),
    ("GET", "/v1/missions/nowhere", 404, "nowhere"),
    ("DELETE", "/v1/missions", 405, "DELETE"),
    ("GET", "/v1/events?limit=-5", 400, "'limit'"),
])
def test_errors_are_problem_json(
    client: FlaskClient, method: str, url: str, status: int, phrase: str
) -> None:
    response = client.open(url, method=method)
    assert_problem(response, status, phrase)
    assert "Traceback" not in response.get_data(as_text=True)
    if status == 405:
        assert "GET" in response.headers["Allow"]


def test_openapi_documents_every_endpoint(app: Flask, client: FlaskClient) -> None:
    spec = client.get("/openapi.json").json
    assert spec["openapi"].startswith("3.1")
    documented = {re.sub(r"\{[^}]+\}", "{}", path) for path in spec["paths"]}
    for rule in app.url_map.iter_rules():
        if rule.endpoint in {"static", "docs_asset"} or rule.endpoint.startswith("api-docs."):
            continue
        assert re.sub(r"<[^>]+>", "{}", rule.rule) in documented, rule.rule
    assert {"Event", "Mission", "Source", "Person", "Citation", "Date", "EventPage"} <= set(
        spec["components"]["schemas"]
    )
    assert spec["paths"]["/v1/events"]["get"]["summary"] == "List events"


def test_docs_page_needs_no_cdn(client: FlaskClient) -> None:
    page = client.get("/docs").get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    # Swagger UI's files, the page's start-up script (api/static/docs.js) and the icon.
    assert assets and all(asset.startswith(("/docs/static/", "/static/", "/favicon.ico"))
                          for asset in assets)
    assert "/static/docs.js" in assets and "/favicon.ico" in assets
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200 and len(response.get_data()) > 200, asset
        response.close()


def test_readyz_reports_an_unreachable_database(tmp_path: Path) -> None:
    broken = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/db.sqlite"})
    client = broken.test_client()
    response = client.get("/readyz")
    assert_problem(response, 503)
    assert response.headers["Retry-After"]
    assert client.get("/healthz").status_code == 200
    with broken.app_context():
        from api.extensions import dispose_engines

        dispose_engines()


def test_no_cookie_is_read_or_set(client: FlaskClient) -> None:
    """The API keeps no session: a cookie changes nothing, and no answer sets one or varies
    by it (shared caches keep serving it to everyone)."""
    client.set_cookie("session", "eyJ4IjoxfQ.forged")
    response = client.get("/v1/events?limit=1")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")
