"""Security headers on every response; pages keep working under their CSP."""

from __future__ import annotations

import base64
import hashlib

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support import assert_problem
from werkzeug.test import TestResponse

from api import create_app


@pytest.fixture
def app(seeded_app: Flask) -> Flask:
    return seeded_app


def csp(response: TestResponse) -> dict[str, str]:
    directives = (d.strip().split(" ", 1) for d in response.headers["Content-Security-Policy"]
                  .split(";"))
    return {d[0]: d[1] if len(d) > 1 else "" for d in directives}


@pytest.mark.parametrize("path", ["/", "/v1/events", "/v1/events/nope", "/openapi.json",
                                  "/healthz", "/metrics", "/docs", "/nowhere"])
def test_every_response_is_hardened(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert csp(response)["frame-ancestors"] == "'none'"
    assert "Server" not in response.headers


def test_data_may_not_run_or_load_anything(client: FlaskClient) -> None:
    policy = csp(client.get("/v1/events"))
    assert policy["default-src"] == "'none'"


def test_the_docs_page_can_load_its_own_assets_but_no_inline_script(client: FlaskClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    policy = csp(response)
    html = response.get_data(as_text=True)
    assert "/docs/static/swagger-ui-bundle.js" in html and "<script>" not in html
    assert "'self'" in policy["script-src"] and "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-hashes'" not in policy["script-src"]  # no inline handler at all
    script = client.get("/static/docs.js")  # its start-up script
    script.close()
    assert script.status_code == 200
    assert "'self'" in policy["style-src"] and "'self'" in policy["connect-src"]
    assert "https:" not in policy["script-src"]  # no script from just anywhere
    asset = client.get("/docs/static/swagger-ui-bundle.js")
    asset.close()
    assert asset.status_code == 200 and asset.headers["X-Content-Type-Options"] == "nosniff"


def test_embed_pages_may_be_framed_anywhere_and_load_configured_assets(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "TIMELINEJS_URL", "https://assets.example.org/timeline3/")
    monkeypatch.setitem(app.config, "EMBED_API_URL", "http://127.0.0.1:8001")
    response = client.get("/embed/the-challenge")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "X-Frame-Options" not in response.headers
    policy = csp(response)
    assert policy["frame-ancestors"] == "*"
    for directive in ("script-src", "style-src"):
        assert "https://assets.example.org" in policy[directive]
    assert "'unsafe-inline'" not in policy["script-src"]  # start-up from /static/embed.js
    # Of inline handlers, only TimelineJS's empty ontouchstart=" " (its hash) may run.
    sources = policy["script-src"].split()
    assert "'unsafe-hashes'" in sources
    assert [s for s in sources if s.startswith("'sha")] == [
        "'sha256-" + base64.b64encode(hashlib.sha256(b" ").digest()).decode() + "'"]
    assert "http://127.0.0.1:8001" in policy["connect-src"]  # the API it reads from
    html = response.get_data(as_text=True)
    assert "https://assets.example.org/timeline3" in html and "<script>" not in html
    assert '<script src="/static/embed.js">' in html
    # Outside /embed nothing may frame the API.
    assert client.get("/embedded").headers["X-Frame-Options"] == "DENY"


def test_hsts_only_over_https(client: FlaskClient) -> None:
    assert "Strict-Transport-Security" not in client.get("/healthz").headers
    secure = client.get("/healthz", base_url="https://api.example.org")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def test_debug_is_off_and_errors_show_no_trace(capsys: pytest.CaptureFixture[str]) -> None:
    """An unexpected error, in the app as the server builds it (no test settings): the
    client gets a bare 500 problem, no traceback, debugger page or error text; the log
    gets the traceback."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})

    def broken() -> None:
        raise RuntimeError("the secret at /srv/app/settings.py")

    app.add_url_rule("/broken", "broken", broken)
    assert not app.debug
    response = app.test_client().get("/broken")
    problem = assert_problem(response, 500)
    body = response.get_data(as_text=True)
    for leak in ("the secret", "settings.py", "Traceback", "RuntimeError", "Werkzeug",
                 "__debugger__", "<html"):
        assert leak not in body, leak
    assert problem["detail"] and problem["instance"] == "/broken"
    logged = capsys.readouterr().err
    assert "Traceback" in logged and "the secret at /srv/app/settings.py" in logged
