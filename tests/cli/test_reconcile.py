"""Seeding never loses a curator's work: it creates what is missing, reports what differs,
and overwrites only when asked, keeping the old values in the history."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import delete

from api.extensions import db
from api.models import RecordRevision

CASES = [  # (collection, id, field, the curator's value)
    ("people", "anton-shkaplerov", "name", "A. N. Shkaplerov"),
    ("sources", "000_75e248b910a8236c", "title", "Shipenko: the Moon or Mars next"),
    ("events", "soyuz-ms-19-launch", "title", "The crew lifts off"),
]



def edit(client: FlaskClient, url: str, change: dict, writer: dict[str, str]) -> None:
    etag = client.get(url).headers["ETag"]
    response = client.patch(url, json=change, headers={**writer, "If-Match": etag})
    assert response.status_code == 200, response.json


@pytest.mark.parametrize(("collection", "ident", "field", "value"), CASES)
def test_a_curators_edit_survives_seeding_and_is_reported(
    client: FlaskClient, runner: FlaskCliRunner, writer: dict[str, str],
    collection: str, ident: str, field: str, value: str,
) -> None:
    url = f"/v1/{collection}/{ident}"
    original = client.get(url).json[field]
    edit(client, url, {field: value}, writer)
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    assert client.get(url).json[field] == value  # the edit survives
    assert f"{collection}.yaml: 0 created, 0 updated" in result.output
    assert "1 differ (database kept)" in result.output
    line = f"  {collection}.yaml '{ident}' {field}: file \"{original}\" | database \"{value}\""
    assert line in result.output.splitlines(), result.output

    result = runner.invoke(args=["seed", "--overwrite"])
    assert result.exit_code == 0, result.output
    assert f"{collection}.yaml: 0 created, 1 updated" in result.output
    assert client.get(url).json[field] == original
    history = client.get(f"{url}/revisions").json["items"]
    assert [(r["who"], r["snapshot"][field]) for r in history] == [
        ("seed", original), ("alice", value), ("seed", original)]
    assert history[1]["changed"] == [field]


def test_container_start_never_overwrites() -> None:
    boot = (Path(__file__).resolve().parents[2] / "boot.sh").read_text()
    seeds = [line.strip() for line in boot.splitlines()
             if "seed" in line and not line.lstrip().startswith("#")]
    # `prepare --seed` runs `seed` as is: without --overwrite (api/cli/prepare.py).
    assert seeds == ["flask --app api prepare --seed"]
    assert "overwrite" not in (Path(__file__).resolve().parents[2] / "api" / "cli" /
                               "prepare.py").read_text()


def test_a_person_from_before_history_keeps_their_old_name(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, writer: dict[str, str]
) -> None:
    with app.app_context():  # as on a database seeded before people had a history
        db.session.execute(delete(RecordRevision))
        db.session.commit()
    url = "/v1/people/anton-shkaplerov"
    edit(client, url, {"name": "A. Shkaplerov"}, writer)
    history = client.get(f"{url}/revisions").json["items"]
    assert [(r["who"], r["action"], r["snapshot"]["name"]) for r in history] == [
        ("unrecorded", "create", "Anton Shkaplerov"), ("alice", "update", "A. Shkaplerov")]


def test_a_deleted_persons_history_stays(
    client: FlaskClient, writer: dict[str, str]
) -> None:
    created = client.post("/v1/people", json={"id": "guest", "name": "A Guest"}, headers=writer)
    assert created.status_code == 201
    edit(client, "/v1/people/guest", {"name": "The Guest"}, writer)
    etag = client.get("/v1/people/guest").headers["ETag"]
    assert client.delete("/v1/people/guest",
                         headers={**writer, "If-Match": etag}).status_code == 204
    assert client.get("/v1/people/guest").status_code == 410  # gone, its history stays
    history = client.get("/v1/people/guest/revisions?limit=2")
    page = history.json["items"] + client.get(history.json["next"]).json["items"]
    assert [(r["action"], r["snapshot"]["name"]) for r in page] == [
        ("create", "A Guest"), ("update", "The Guest"), ("delete", "The Guest")]
    assert client.get("/v1/people/nobody/revisions").status_code == 404
    assert client.get("/v1/sources/nothing/revisions").status_code == 404


def test_the_history_endpoints_are_documented(client: FlaskClient) -> None:
    paths = client.get("/openapi.json").json["paths"]
    for path in ("/v1/people/{id}/revisions", "/v1/sources/{id}/revisions"):
        parameters = {p["name"] for p in paths[path]["get"]["parameters"]}
        assert {"limit", "cursor"} <= parameters
