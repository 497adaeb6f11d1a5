"""Who may write: curators' tokens (stored hashed, scoped, revocable, never logged) and
the security the OpenAPI document declares for the writes."""

from __future__ import annotations

import hashlib
import logging

import pytest
from curation_common import EVENT
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from support import assert_problem, bearer, new_event, secret

from api.extensions import db


def test_the_database_holds_only_a_hash_of_each_token(curated: Flask) -> None:
    token = secret(bearer(curated))
    assert token.startswith("mt_") and len(token) > 40
    with curated.app_context():
        rows = db.session.execute(text("SELECT * FROM api_tokens")).all()
    assert len(rows) == 1
    assert token not in repr(rows)
    assert hashlib.sha256(token.encode()).hexdigest() in repr(rows)
    listing = curated.test_cli_runner().invoke(args=["tokens", "list"]).output
    assert "alice\twrite" in listing and token not in listing


def test_writes_need_a_valid_token_with_the_write_scope(
    curated: Flask, client: FlaskClient
) -> None:
    response = client.post("/v1/events", json=new_event())
    assert_problem(response, 401, "Bearer")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    response = client.post("/v1/events", json=new_event(), headers={"Authorization": "Bearer x"})
    assert_problem(response, 401, "unknown or revoked")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    reader = bearer(curated, "reader", "read")
    response = client.post("/v1/events", json=new_event(), headers=reader)
    assert_problem(response, 403, "'write' scope")
    assert client.get(f"/v1/events/{EVENT}").status_code == 200  # reads stay public


def test_a_revoked_token_stops_working(curated: Flask, client: FlaskClient) -> None:
    headers = bearer(curated, "bob")
    assert client.post("/v1/events", json=new_event(), headers=headers).status_code == 201
    result = curated.test_cli_runner().invoke(args=["tokens", "revoke", "--name", "bob"])
    assert result.exit_code == 0
    response = client.post("/v1/events", json=new_event(id="other"), headers=headers)
    assert_problem(response, 401, "revoked")


def test_tokens_never_appear_in_logs_or_responses(
    curated: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    headers = bearer(curated, "carol")
    token = secret(headers)
    caplog.set_level(logging.DEBUG)
    responses = [
        client.post("/v1/events", json=new_event(), headers=headers),
        client.post("/v1/events", json={"bogus": 1}, headers=headers),
        client.patch(f"/v1/events/{EVENT}", json={"title": "x"}, headers=headers),
        client.get(f"/v1/events/{new_event()['id']}/revisions"),
    ]
    assert [r.status_code for r in responses] == [201, 422, 428, 200]
    for response in responses:
        assert token not in response.get_data(as_text=True) + str(response.headers)
    assert token not in caplog.text


def test_openapi_documents_the_writes_and_their_security(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").json
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    paths = spec["paths"]
    assert {"post", "get"} <= paths["/v1/events"].keys()
    assert {"get", "patch", "delete"} <= paths["/v1/events/{id}"].keys()
    assert paths["/v1/events/{id}"]["patch"]["security"] == [{"bearerAuth": []}]
    for path in ("/v1/events/{id}/revisions", "/v1/events/{id}/citations",
                 "/v1/citations/{id}", "/v1/sources/{id}/text"):
        assert path in paths
