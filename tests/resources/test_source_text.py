"""PUT /v1/sources/{id}/text: UTF-8 only, no control characters, and If-Match like every
other write, so no curator replaces an article they have not seen."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from support import assert_problem, bearer

SOURCE = "004_ba6c03b084f54831"
URL = f"/v1/sources/{SOURCE}/text"


@pytest.fixture
def writer(app: Flask, runner: FlaskCliRunner, articles: Path) -> dict[str, str]:
    assert runner.invoke(args=["seed", "--sources", str(articles)]).exit_code == 0
    return bearer(app)


def put(client: FlaskClient, body: bytes | str, headers: dict[str, str], url: str = URL):
    return client.put(url, data=body, content_type="text/plain", headers=headers)


def test_replacing_a_text_needs_the_etag_of_the_one_seen(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    seen = client.get(URL, headers=writer)
    text, etag = seen.get_data(as_text=True), seen.headers["ETag"]
    longer = text + "\nA paragraph added by a curator."
    assert put(client, longer, writer).status_code == 428
    assert put(client, longer, {**writer, "If-Match": '"stale"'}).status_code == 412
    stored = put(client, longer, {**writer, "If-Match": etag})
    assert stored.status_code == 204
    again = client.get(URL, headers=writer)
    assert again.get_data(as_text=True) == longer
    assert stored.headers["ETag"] == again.headers["ETag"] != etag
    assert put(client, text, {**writer, "If-Match": etag}).status_code == 412  # now stale


@pytest.mark.parametrize(("body", "words"), [
    (b"Soyuz MS-19 \xff\xfe", "Not UTF-8"),
    (b"Soyuz MS-19 \xc3\x28", "Not UTF-8"),
    (b"Soyuz MS-19 \x00", "U+0000"),
    (b"Soyuz MS-19 \x1b[2J", "U+001B"),
])
def test_a_text_must_be_clean_utf8(
    client: FlaskClient, writer: dict[str, str], body: bytes, words: str
) -> None:
    before = client.get(URL, headers=writer)
    response = put(client, before.get_data() + body, {**writer, "If-Match": before.headers["ETag"]})
    assert_problem(response, 422, words, field="body")
    assert client.get(URL, headers=writer).get_data() == before.get_data()  # no U+FFFD stored


def test_the_first_text_of_a_source_needs_if_none_match(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    assert client.post("/v1/sources", json={"id": "new-source", "file": "new.txt"},
                       headers=writer).status_code == 201
    url = "/v1/sources/new-source/text"
    assert put(client, "An article.", writer, url).status_code == 428
    assert put(client, "An article.", {**writer, "If-Match": '"x"'}, url).status_code == 412
    bad = put(client, "An article.", {**writer, "If-Match": '"x"', "If-None-Match": "nope"}, url)
    assert_problem(bad, 400, field="If-None-Match")  # only * is
    assert put(client, "An article.", {**writer, "If-None-Match": "*"}, url).status_code == 204
    assert put(client, "Another.", {**writer, "If-None-Match": "*"}, url).status_code == 428
    assert client.get(url, headers=writer).get_data(as_text=True) == "An article."
