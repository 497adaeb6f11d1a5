"""The OpenAPI document is a contract: names that read well, If-Match, required bodies,
exact patterns, enums defined once, examples that find data, and answers that match it."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st
from support import assert_problem, bearer

from schemas import dates
from schemas.common import CURSOR_PATTERN, MAX_CURSOR

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
def app(seeded_app: Flask) -> Flask:
    return seeded_app


@pytest.fixture
def spec(client: FlaskClient) -> dict[str, Any]:
    return client.get("/openapi.json").get_json()


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, op) for path, ops in spec["paths"].items()
            for method, op in ops.items() if method in METHODS]


def test_operation_ids_read_well_and_are_unique(spec: dict[str, Any]) -> None:
    ids = {(m, p): op["operationId"] for m, p, op in operations(spec)}
    assert len(set(ids.values())) == len(ids)
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)*", i) for i in ids.values()), ids
    assert ids[("get", "/v1/events")] == "list_events"
    assert ids[("post", "/v1/events")] == "create_event"
    assert ids[("get", "/v1/events/{id}")] == "get_event"
    assert ids[("patch", "/v1/events/{id}")] == "update_event"
    assert ids[("delete", "/v1/events/{id}")] == "delete_event"
    assert ids[("get", "/v1/events/{id}/revisions")] == "list_event_revisions"
    assert ids[("get", "/v1/missions/{id}/timelinejs")] == "get_timelinejs"
    assert ids[("post", "/v1/people")] == "create_person"


def test_every_patch_and_delete_requires_if_match_and_documents_412_and_428(
    spec: dict[str, Any]
) -> None:
    # Webhook subscriptions are not curated data: a subscription's representation moves
    # with every delivery (`last_seq`), so an If-Match would be stale by the time it came.
    conditional = [(m, p, op) for m, p, op in operations(spec) if m in ("patch", "delete")
                   and not p.startswith("/v1/webhooks")]
    assert len(conditional) == 8
    for _, _, op in conditional:
        header = next(p for p in op["parameters"] if p["name"] == "If-Match")
        assert header["in"] == "header" and header["required"] is True
        assert {"412", "428"} <= set(op["responses"])


def test_request_bodies_are_required_with_their_media_types(spec: dict[str, Any]) -> None:
    bodies = {(m, p): op["requestBody"] for m, p, op in operations(spec) if "requestBody" in op}
    assert {m for m, _ in bodies} == {"post", "patch", "put"} and len(bodies) == 11
    assert all(body["required"] for body in bodies.values())
    assert list(bodies[("patch", "/v1/events/{id}")]["content"]) == [
        "application/merge-patch+json"]
    assert list(bodies[("put", "/v1/sources/{id}/text")]["content"]) == ["text/plain"]
    assert "required" not in spec["components"]["schemas"]["EventPatch"]


def test_enumerations_are_named_once(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    named = {name for name, s in schemas.items() if "enum" in s}
    assert {"EventType", "EventStatus", "Sort", "Precision", "TimelineGroup"} <= named
    assert schemas["Sort"]["x-enum-varnames"] == [
        "RELEVANCE", "START", "START_DESC", "TITLE", "TITLE_DESC", "CHANGED", "CHANGED_DESC"]
    assert "NOT_LAUNCH" in schemas["EventTypeFilter"]["x-enum-varnames"]
    inline = [v for k, v in _walk(spec) if k == "enum" and v not in
              [schemas[n]["enum"] for n in named]]
    assert inline == []
    assert '"#/components/schemas/EventType"' in str(spec).replace("'", '"')


def _walk(node: Any) -> Any:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


@given(st.from_regex(r"[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?", fullmatch=True))
@settings(max_examples=300, deadline=None)
def test_the_documented_date_pattern_is_exactly_what_the_api_accepts(value: str) -> None:
    try:
        dates.parse(value)
        accepted = True
    except ValueError:
        accepted = False
    assert bool(re.search(dates.DATE_PATTERN, value)) is accepted


@pytest.mark.parametrize(("value", "valid"), [("", False), ("0000", False), ("2021", True),
                                              ("2020-02-29", True), ("2021-02-29", False),
                                              ("2000-02-29", True), ("1900-02-29", False),
                                              ("2021-04-31", False), ("2021-10-05", True)])
def test_date_pattern_edges(value: str, valid: bool, client: FlaskClient) -> None:
    assert bool(re.search(dates.DATE_PATTERN, value)) is valid
    status = client.get("/v1/events", query_string={"from": value}).status_code
    assert status == (200 if valid else 400)


def test_cursors_are_base64url_within_the_documented_length(client: FlaskClient) -> None:
    body = client.get("/v1/events?limit=1&sort=-start&mission=the-challenge").get_json()
    cursor = re.search(r"cursor=([^&]+)", body["next"]).group(1)
    assert re.fullmatch(CURSOR_PATTERN, cursor) and len(cursor) < MAX_CURSOR
    assert_problem(client.get("/v1/events?cursor=not%20base64!"), 400, field="cursor")


def test_the_documented_examples_find_seeded_data(client: FlaskClient,
                                                  spec: dict[str, Any]) -> None:
    listing = spec["paths"]["/v1/events"]["get"]["parameters"]
    # Swagger UI pre-fills a parameter with its example (here the schema's)
    example = {p["name"]: p["schema"]["example"] for p in listing if "example" in p["schema"]}
    assert example["mission"] == ["the-challenge"]  # a filter takes several values
    assert client.get("/v1/events", query_string=example).get_json()["items"]
    for path, ops in spec["paths"].items():
        params = ops.get("parameters", [])
        if "get" not in ops or not params or path.startswith("/embed/timelinejs"):
            continue
        url = path
        for p in params:
            url = url.replace(f"{{{p['name']}}}", str(p["example"]))
        secured = "security" in ops["get"]  # the source text: 401 without a token
        assert client.get(url).status_code == (401 if secured else 200), url


def test_an_event_as_of_a_moment_has_the_citation_ids_its_schema_promises(
    client: FlaskClient,
) -> None:
    now = client.get("/v1/events/soyuz-ms-19-launch").get_json()
    then = client.get("/v1/events/soyuz-ms-19-launch?as_of=2100-01-01T00:00:00Z").get_json()
    assert [c["id"] for c in then["citations"]] == [c["id"] for c in now["citations"]]
    assert all(isinstance(c["id"], int) for c in then["citations"])


@pytest.fixture
def token(app: Flask) -> dict[str, str]:
    return bearer(app, f"contract-{uuid.uuid4().hex}")  # the app is the module's


def test_if_match_that_is_no_entity_tag_is_400_naming_the_header(
    client: FlaskClient, token: dict[str, str]
) -> None:
    response = client.patch("/v1/events/soyuz-ms-19-launch", json={"title": "x"},
                            headers={**token, "If-Match": "abc"})
    assert_problem(response, 400, "If-Match")
    response = client.delete("/v1/events/soyuz-ms-19-launch", headers={**token, "If-Match": ""})
    assert response.status_code == 428


def test_one_415_check_knows_each_routes_media_types(client: FlaskClient,
                                                     token: dict[str, str]) -> None:
    response = client.post("/v1/events", headers=token)  # no body at all
    assert_problem(response, 415, "no Content-Type")
    response = client.put("/v1/sources/003_edd1603faf14b1a0/text", json={"text": "x"},
                          headers=token)
    assert_problem(response, 415, "text/plain")
    response = client.post("/v1/people", data=b"{'a': 1}", content_type="application/json",
                           headers=token)
    assert_problem(response, 400, "not valid JSON")


def test_a_patch_validates_nested_objects_in_full(client: FlaskClient,
                                                  token: dict[str, str]) -> None:
    url = "/v1/events/soyuz-ms-19-launch"
    etag = client.get(url).headers["ETag"]
    response = client.patch(url, json={"people": [{"role": "actor"}],
                                       "start": {"date": "2021"}},
                            headers={**token, "If-Match": etag})
    assert_problem(response, 422, field="people.0.person")
