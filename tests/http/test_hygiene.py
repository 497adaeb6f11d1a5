"""Input hygiene in one place: a JSON body nested too deep or with a key twice is a 400,
and text that would let two records look identical (bidi controls, zero-width characters)
is a 422 naming the field; text is stored in NFC, so "é" is one character however typed."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from support import assert_problem, new_event

from api.http.bodies import MAX_DEPTH


def send(client: FlaskClient, path: str, body: str, headers: dict[str, str],
         method: str = "POST") -> Any:
    return client.open(path, method=method, data=body.encode(),
                       content_type="application/json", headers=headers)


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 5000, 200_000])
def test_json_nested_too_deep_is_a_400_not_a_crash(
    client: FlaskClient, writer: dict[str, str], depth: int,
) -> None:
    body = '{"id": "guest", "name": "Guest", "aliases": ' + "[" * depth + "]" * depth + "}"
    response = send(client, "/v1/people", body, writer)
    assert_problem(response, 400, f"{MAX_DEPTH} levels")


def test_json_within_the_depth_limit_reads_as_before(
    client: FlaskClient, writer: dict[str, str],
) -> None:
    # Brackets inside strings are text, not nesting.
    body = '{"id": "guest", "name": "' + "[{" * 100 + '", "aliases": []}'
    assert send(client, "/v1/people", body, writer).status_code == 201


@pytest.mark.parametrize(("body", "key"), [
    ('{"id": "guest", "name": "A", "name": "B"}', "name"),
    ('{"id": "guest", "id": "other", "name": "A"}', "id"),
])
def test_a_key_sent_twice_is_a_400_naming_it(
    client: FlaskClient, writer: dict[str, str], body: str, key: str,
) -> None:
    response = send(client, "/v1/people", body, writer)
    assert_problem(response, 400, field=key)
    assert client.get("/v1/people/guest").status_code == 404


def test_a_nested_key_sent_twice_is_a_400(client: FlaskClient, writer: dict[str, str]) -> None:
    body = new_event()
    text = str(body).replace("'", '"').replace('"start": {"date": "2021-10-05"}',
                                               '"start": {"date": "2021-10-05", "date": "2021"}')
    assert '"date": "2021"' in text
    response = send(client, "/v1/events", text, writer)
    assert_problem(response, 400, field="date")


@pytest.mark.parametrize("name", [
    "Yulia\u202ePeresild",  # right-to-left override
    "Yulia\u2066Peresild\u2069",  # isolates
    "Yulia\u200fPeresild",  # right-to-left mark
    "Yu\u200blia Peresild",  # zero-width space
    "Yulia\u2060Peresild",  # word joiner
    "\ufeffYulia Peresild",  # zero-width no-break space (BOM)
])
def test_invisible_characters_are_refused_naming_the_field(
    client: FlaskClient, writer: dict[str, str], name: str,
) -> None:
    response = client.post("/v1/people", json={"id": "guest", "name": name,
                                                "aliases": [name]}, headers=writer)
    assert_problem(response, 422, "'name'", "'aliases.0'", "U+")
    event = client.post("/v1/events", json=new_event(title=name), headers=writer)
    assert_problem(event, 422, field="title")


def test_text_is_stored_in_nfc(client: FlaskClient, writer: dict[str, str]) -> None:
    decomposed = "Re\u0301my Ande\u0301"  # "é" as e + combining acute
    response = client.post("/v1/people", json={"id": "guest", "name": decomposed},
                           headers=writer)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.json["name"] == "R\u00e9my And\u00e9"
    assert client.get("/v1/people/guest").json["name"] == "R\u00e9my And\u00e9"


def test_merge_patch_merges_nested_objects(client: FlaskClient, writer: dict[str, str]) -> None:
    """RFC 7396: a nested object in a merge patch changes only the members it names."""
    url = "/v1/events/first-moon-steps-1969"
    before = client.get(url)
    patch = {"start": {"basis": {"quote": "steps on the Moon in 1969"}}}
    response = client.patch(url, json=patch, headers={
        **writer, "If-Match": before.headers["ETag"],
        "Content-Type": "application/merge-patch+json"})
    assert response.status_code == 200, response.get_data(as_text=True)
    start, was = response.json["start"], before.json["start"]
    assert start["basis"]["quote"] == "steps on the Moon in 1969"
    assert (start["date"], start["basis"]["source"], start["basis"]["rule"]) == (
        was["date"], was["basis"]["source"], was["basis"]["rule"])
    # A member set to null is removed; what is then missing is named (422).
    response = client.patch(url, json={"start": {"date": None}}, headers={
        **writer, "If-Match": response.headers["ETag"],
        "Content-Type": "application/merge-patch+json"})
    assert_problem(response, 422, field="start.date")
