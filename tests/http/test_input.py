"""Loose or hostile input is refused where the shape is defined (the shared schemas), with a
problem+json naming the field, so nothing stored can break a reader later."""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support import assert_problem, new_event

from schemas.common import MAX_ITEMS

SOURCE = "004_ba6c03b084f54831"
FEED = "/v1/missions/the-challenge/feed.atom"


# (changes to a new event, the field the problem names)
CONTROL_CHARACTERS = [
    ({"title": "Lift\x01off"}, "title"),
    ({"title": "Two\nlines"}, "title"),  # a title is one line
    ({"summary": "NUL \x00 here"}, "summary"),
    ({"summary": "form\x0cfeed"}, "summary"),
    ({"location": "Baikonur\x1b[31m"}, "location"),
    ({"note": "\ufffe"}, "note"),
    ({"tags": ["ok", "b\x07ell"]}, "tags.1"),
    ({"people": [{"person": "klim-shipenko", "role": "dir\x08ector"}]}, "people.0.role"),
    ({"citations": [{"source": SOURCE, "quote": "Soyuz\x02", "supports": ["title"]}]},
     "citations.0.quote"),
]
TOO_MANY_ITEMS = [
    ({"citations": [{"source": SOURCE, "quote": f"Quote {i}", "supports": ["title"]}
                    for i in range(MAX_ITEMS + 1)]}, "citations"),
    ({"tags": [f"tag-{i}" for i in range(MAX_ITEMS + 1)]}, "tags"),
    ({"people": [{"person": f"person-{i}", "role": "r"} for i in range(MAX_ITEMS + 1)]},
     "people"),
    ({"citations": [{"source": SOURCE, "quote": "Soyuz", "supports": ["title"] * 10}]},
     "citations.0.supports"),
]


@pytest.mark.parametrize(("changes", "field"), CONTROL_CHARACTERS + TOO_MANY_ITEMS, ids=[
    *(f"control-character-in-{field}" for _, field in CONTROL_CHARACTERS),
    *(f"too-many-{field}" for _, field in TOO_MANY_ITEMS),
])
def test_control_characters_and_too_many_items_are_refused_in_every_event_field(
    client: FlaskClient, writer: dict[str, str], changes: dict[str, Any], field: str
) -> None:
    response = client.post("/v1/events", json=new_event(**changes), headers=writer)
    assert_problem(response, 422, field=field)
    assert client.get(FEED).status_code == 200


def test_prose_keeps_its_line_breaks_and_the_feed_stays_valid(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    body = new_event(summary="First line.\r\nSecond\tline.", note="A\nnote")
    assert client.post("/v1/events", json=body, headers=writer).status_code == 201
    feed = client.get(FEED)
    assert feed.status_code == 200 and "Second\tline." in feed.get_data(as_text=True)


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/v1/people", {"id": "guest", "name": "A\x01Guest"}, "name"),
    ("/v1/people", {"id": "guest", "name": "Guest", "aliases": ["G\x00"]}, "aliases.0"),
    ("/v1/sources", {"id": "src", "file": "a.txt", "title": "T\x1f"}, "title"),
    ("/v1/sources", {"id": "src", "file": "a\x00.txt"}, "file"),
    ("/v1/sources", {"id": "src", "file": "a.txt", "url": "https://example.org/\x01"}, "url"),
])
def test_people_and_sources_refuse_control_characters(
    client: FlaskClient, writer: dict[str, str], path: str, body: dict, field: str
) -> None:
    assert_problem(client.post(path, json=body, headers=writer), 422, field=field)


@pytest.mark.parametrize("ident", ["guest\n", "guest\r\n", "\nguest", "guest "])
def test_ids_must_match_their_pattern_in_full(
    client: FlaskClient, writer: dict[str, str], ident: str
) -> None:
    response = client.post("/v1/people", json={"id": ident, "name": "Guest"}, headers=writer)
    assert_problem(response, 422, field="id")
    response = client.get("/v1/events", query_string={"mission": "the-challenge\n"})
    assert_problem(response, 400, field="mission")


@pytest.mark.parametrize("limit", ["\u0665", "5_0", "\uff15", "+5", " 5", "5\n"])
def test_limit_takes_ascii_digits_only(client: FlaskClient, limit: str) -> None:
    assert_problem(client.get("/v1/events", query_string={"limit": limit}), 400, field="limit")


def test_openapi_shows_the_bounds(client: FlaskClient) -> None:
    schemas = client.get("/openapi.json").json["components"]["schemas"]
    event_props = schemas["Event"]["properties"]
    for name in ("citations", "people", "tags"):
        assert event_props[name]["maxItems"] == MAX_ITEMS, name
    assert event_props["citations"]["minItems"] == 1
    assert schemas["Person"]["properties"]["aliases"]["maxItems"] == MAX_ITEMS


def raw_cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(("path", "keys"), [
    ("/v1/events/soyuz-ms-19-launch/revisions", "Infinity"),
    ("/v1/events/soyuz-ms-19-launch/revisions", "-Infinity"),
    ("/v1/events/soyuz-ms-19-launch/revisions", "NaN"),
    ("/v1/events/soyuz-ms-19-launch/revisions", "1" + "0" * 30),
    ("/v1/events/soyuz-ms-19-launch/revisions", "1e308"),
    ("/v1/events/soyuz-ms-19-launch/revisions", "true"),
    ("/v1/events/soyuz-ms-19-launch/citations", "9223372036854775808"),
    ("/v1/people", "Infinity"),
    ("/v1/people", "12"),
    ("/v1/events", '"2021-10-05", NaN'),
    ("/v1/events", '1e400, "x"'),
])
def test_forged_cursors_are_400(
    client: FlaskClient, writer: dict[str, str], path: str, keys: str
) -> None:
    cursor = raw_cursor(f'{{"k": [{keys}], "d": false}}')
    assert_problem(client.get(path, query_string={"cursor": cursor}), 400, field="cursor")


@pytest.mark.parametrize(("moment", "status"), [
    ("0001-01-01T00:00:00+01:00", 404),  # before anything existed (and before year 1 in UTC)
    ("0001-01-01T00:00:00+14:00", 404),
    ("9999-12-31T23:59:59-01:00", 200),  # after every change: the event as it is
    ("9999-12-31T23:59:59.999999-12:00", 200),
])
def test_as_of_at_the_edges_of_time(
    client: FlaskClient, writer: dict[str, str], moment: str, status: int
) -> None:
    response = client.get("/v1/events/soyuz-ms-19-launch", query_string={"as_of": moment})
    assert response.status_code == status, response.get_data(as_text=True)
    if status == 200:
        current = client.get("/v1/events/soyuz-ms-19-launch").json
        assert (response.json["title"], response.json["summary"]) == (
            current["title"], current["summary"])


@pytest.mark.parametrize("path", ["/v1/events", "/v1/people"])
def test_a_chunked_body_over_the_limit_is_413(
    app: Flask, client: FlaskClient, writer: dict[str, str], path: str
) -> None:
    limit = app.config["MAX_CONTENT_LENGTH"]
    body = b'{"id": "guest", "name": "' + b"x" * limit + b'"}'
    response = client.post(  # no Content-Length: as a server passes a chunked body on
        path, input_stream=io.BytesIO(body), content_type="application/json",
        headers={**writer, "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True})
    assert_problem(response, 413)


def test_a_chunked_body_within_the_limit_is_read_whole(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    body = b'{"id": "guest", "name": "' + b"x" * 150 + b'"}'
    response = client.post(
        "/v1/people", input_stream=io.BytesIO(body), content_type="application/json",
        headers={**writer, "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.json["name"] == "x" * 150
