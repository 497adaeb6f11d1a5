"""The history of curators' writes: revisions, `as_of`, revisions by seeding, and the export
back to seed files that shows an API edit as a one-line diff."""

from __future__ import annotations

from pathlib import Path

from curation_common import EVENT, get
from flask import Flask
from flask.testing import FlaskClient
from support import assert_problem, new_event

from api.cli.seed import DEFAULT_DIR, load_seeds


def test_revisions_list_every_change_and_as_of_shows_the_past(
    curated: Flask, client: FlaskClient, alice: dict[str, str]
) -> None:
    url = "/v1/events/crew-medical-check"
    assert client.post("/v1/events", json=new_event(), headers=alice).status_code == 201
    for title in ("Second title", "Third title"):
        _, etag = get(client, url)
        response = client.patch(url, json={"title": title},
                                headers={**alice, "If-Match": f'"{etag}"'})
        assert response.status_code == 200
    first = client.get(f"{url}/revisions?limit=2")
    assert first.status_code == 200 and "next" in first.headers["Link"]
    revisions = first.json["items"] + client.get(first.json["next"]).json["items"]
    assert [(r["number"], r["action"], r["who"]) for r in revisions] == [
        (1, "create", "alice"), (2, "update", "alice"), (3, "update", "alice")]
    assert revisions[1]["changed"] == ["title"]
    assert revisions[1]["snapshot"]["title"] == "Second title"
    for revision, title in zip(revisions, ["Crew passes the medical check", "Second title",
                                          "Third title"], strict=True):
        past = client.get(url, query_string={"as_of": revision["at"]})
        assert past.status_code == 200 and past.json["title"] == title
    assert_problem(client.get(url, query_string={"as_of": "2000-01-01T00:00:00Z"}), 404)
    assert_problem(client.get(url, query_string={"as_of": "yesterday"}), 400, "as_of")
    assert_problem(client.get("/v1/events/nothing/revisions"), 404)


def test_seeding_records_a_revision_only_when_an_event_changes(
    curated: Flask, client: FlaskClient
) -> None:
    revisions = client.get(f"/v1/events/{EVENT}/revisions").json["items"]
    assert [(r["who"], r["action"]) for r in revisions] == [("seed", "create")]
    with curated.app_context():
        load_seeds(DEFAULT_DIR)
    assert len(client.get(f"/v1/events/{EVENT}/revisions").json["items"]) == 1


def test_seed_then_export_reproduces_the_seed_files(curated: Flask, tmp_path: Path) -> None:
    result = curated.test_cli_runner().invoke(args=["export", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for name in ("missions.yaml", "sources.yaml", "people.yaml", "events.yaml"):
        assert (tmp_path / name).read_bytes() == (Path(DEFAULT_DIR) / name).read_bytes(), name


def test_export_shows_an_api_edit_as_a_one_line_diff(
    curated: Flask, client: FlaskClient, alice: dict[str, str], tmp_path: Path
) -> None:
    url = f"/v1/events/{EVENT}"
    body, etag = get(client, url)
    response = client.patch(url, json={"title": "Soyuz MS-19 takes off"},
                            headers={**alice, "If-Match": f'"{etag}"'})
    assert response.status_code == 200
    curated.test_cli_runner().invoke(args=["export", str(tmp_path)])
    old = (Path(DEFAULT_DIR) / "events.yaml").read_text(encoding="utf-8").splitlines()
    new = (tmp_path / "events.yaml").read_text(encoding="utf-8").splitlines()
    assert [(a, b) for a, b in zip(old, new, strict=True) if a != b] == [
        (f"  title: {body['title']}", "  title: Soyuz MS-19 takes off")]
