"""Hostile and malformed requests get a clean answer: a problem+json naming what is wrong."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from flask import Flask, request
from flask.testing import FlaskClient
from support import SEEDED, assert_problem

from api import create_app


@pytest.fixture
def app(seeded_app: Flask) -> Flask:
    return seeded_app


@pytest.fixture
def writable() -> FlaskClient:
    """An app with one write route, as the write endpoints will be: it echoes its JSON body."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})

    def echo() -> Any:
        return {"got": request.get_json()}

    app.add_url_rule("/v1/echo", "echo", echo, methods=["POST", "PUT", "PATCH"])
    return app.test_client()


@pytest.mark.parametrize(("query", "named"), [
    ("q=" + "a" * 201, "'q'"),
    ("q=" + "x" * 20000, "'q'"),
    ("limit=0", "'limit'"),
    ("limit=-5", "'limit'"),
    ("limit=101", "'limit'"),
    ("limit=" + "9" * 400, "'limit'"),
    ("limit=1e3", "'limit'"),
    ("limit=ten", "'limit'"),
    ("from=2021-13", "'from'"),
    ("to=21-10-05", "'to'"),
    ("type=rocket", "'type'"),
    ("sort=sideways", "'sort'"),
    ("mission=THE CHALLENGE", "'mission'"),
    ("cursor=" + "c" * 501, "'cursor'"),
    ("colour=blue", "'colour'"),  # unknown parameters are rejected, not ignored
    ("q=%00", "'q'"),  # PostgreSQL cannot hold NUL: refused before it gets there
])
def test_bad_query_parameters_are_named(client: FlaskClient, query: str, named: str) -> None:
    assert_problem(client.get(f"/v1/events?{query}"), 400, named)


def _cursor(data: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@pytest.mark.parametrize("cursor", [
    "not-a-cursor",
    "!!!!",
    _cursor([1, 2]),
    _cursor({"k": ["2021-10-05"], "d": False}),  # wrong number of keys
    _cursor({"k": ["2021-99-99", "x"], "d": False}),  # not a date
    _cursor({"k": [None, "x"], "d": False}),
    _cursor({"k": ["2021-10-05", "x"], "d": True}),  # from the other sort order
    base64.urlsafe_b64encode(b"\xff\xfe\x00").decode(),
])
def test_tampered_cursors_are_refused(client: FlaskClient, cursor: str) -> None:
    assert_problem(client.get("/v1/events", query_string={"cursor": cursor}), 400, "'cursor'")


def test_a_real_cursor_still_works(client: FlaskClient) -> None:
    first = client.get("/v1/events?limit=2").get_json()
    assert client.get(first["next"]).status_code == 200


def test_non_utf8_bytes_in_the_query_are_data(client: FlaskClient) -> None:
    response = client.get("/v1/events?q=%FF%FE%C3%28")
    assert response.status_code == 200
    assert response.get_json()["items"] == []


def test_non_utf8_bytes_in_the_path_are_a_clean_404(client: FlaskClient) -> None:
    assert_problem(client.get("/v1/events/%FF%FE"), 404, "No event")
    assert_problem(client.get("/v1/%FF"), 404)


@pytest.mark.parametrize("q", ["' OR 1=1 --", "\"; DROP TABLE events; --", "%", "_", "\\",
                               "<script>alert(1)</script>", "{{7*7}}", "${jndi:x}"])
def test_sql_and_markup_metacharacters_are_only_data(client: FlaskClient, q: str) -> None:
    response = client.get("/v1/events", query_string={"q": q, "limit": 100})
    assert response.status_code == 200 and response.mimetype == "application/json"
    # Searched for as words: an injected "OR 1=1" would have matched every event.
    assert len(response.get_json()["items"]) < SEEDED["events"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # The data is intact afterwards.
    assert len(client.get("/v1/events?limit=100").get_json()["items"]) == SEEDED["events"]


def test_markup_in_a_path_is_not_echoed_as_html(client: FlaskClient) -> None:
    response = client.get("/v1/events/<script>alert(1)</script>")
    body = assert_problem(response, 404)
    assert body["instance"] == "/v1/events/<script>alert(1)</script>"  # JSON string, not HTML
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_an_oversized_body_is_413(client: FlaskClient, app: Flask) -> None:
    big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    assert_problem(client.get("/v1/events", data=big), 413, "larger than")
    assert_problem(client.post("/v1/events", data=big, content_type="application/json"), 413)
    assert_problem(client.post("/healthz", data=big, content_type="application/json"), 413)


def test_a_write_to_a_read_only_route_is_405_whatever_the_body(client: FlaskClient) -> None:
    response = client.post("/healthz", data="a=1", content_type="text/plain")
    assert_problem(response, 405, "POST is not allowed")
    assert "GET" in response.headers["Allow"]


@pytest.mark.parametrize(("method", "path"), [("post", "/v1/events"),
                                              ("patch", "/v1/events/soyuz-ms-19-launch")])
def test_the_write_endpoints_refuse_bodies_that_are_not_json(
    client: FlaskClient, method: str, path: str
) -> None:
    response = getattr(client, method)(path, data="title=x", content_type="text/plain")
    assert_problem(response, 415, "not text/plain")


@pytest.mark.parametrize("method", ["post", "put", "patch"])
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", "application/xml"])
def test_writes_must_send_json(writable: FlaskClient, method: str, content_type: str) -> None:
    response = getattr(writable, method)("/v1/echo", data='{"a": 1}', content_type=content_type)
    assert_problem(response, 415, "application/json", content_type.split(";")[0])


def test_writes_without_a_content_type_are_415(writable: FlaskClient) -> None:
    response = writable.post("/v1/echo", data=b'{"a": 1}')
    assert_problem(response, 415, "no Content-Type")


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8",
                                          "application/merge-patch+json"])
def test_json_writes_pass_the_hook(writable: FlaskClient, content_type: str) -> None:
    response = writable.post("/v1/echo", data='{"a": 1}', content_type=content_type)
    assert response.status_code == 200 and response.get_json() == {"got": {"a": 1}}


@pytest.mark.parametrize("body", [b'{"a": "\xff\xfe"}', b"\xef\xbb\xbf{", b"{'a': 1}", b"[1,"])
def test_malformed_json_bodies_are_400(writable: FlaskClient, body: bytes) -> None:
    response = writable.post("/v1/echo", data=body, content_type="application/json")
    assert_problem(response, 400)


@pytest.mark.parametrize("path", ["/v1/citations/" + "9" * 30, "/v1/citations/2147483648"])
def test_integer_ids_beyond_any_column_are_404(client: FlaskClient, path: str) -> None:
    assert_problem(client.get(path), 404)
