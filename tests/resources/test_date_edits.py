"""A curator's date edit keeps every date derived from it true: a new date needs a basis of
its own, a start that other dates derive from cannot move under them (409 naming them), and
what the API accepts exports to seed files that seed again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from curation_common import EVENT, get
from flask import Flask
from flask.testing import FlaskClient
from support import assert_problem

EURONEWS = "003_edd1603faf14b1a0"


def tuesday_of(kind: str, ident: str, date: str) -> dict[str, Any]:
    """The launch's start as "the Tuesday of the week of" another reference."""
    return {"date": date, "inferred": True, "basis": {
        "source": EURONEWS, "quote": "taking off on Tuesday morning",
        "rule": "weekday-of-week", "weekday": "tuesday",
        "reference": {"kind": kind, "id": ident}}}


def patch(client: FlaskClient, url: str, alice: dict[str, str], body: dict[str, Any]) -> Any:
    _, etag = get(client, url)
    return client.patch(url, json=body, headers={**alice, "If-Match": f'"{etag}"'})


def test_a_new_date_without_a_basis_is_refused(
    curated: Flask, client: FlaskClient, alice: dict[str, str]
) -> None:
    url = f"/v1/events/{EVENT}"
    before = get(client, url)
    # A merge patch keeps the basis the date had: the new date must follow from it.
    response = patch(client, url, alice, {"start": {"date": "2021-10-06"}})
    assert_problem(response, 422, "'start.date'", "Does not follow from its basis")
    # Removing the basis (null, RFC 7396) leaves the new date resting on nothing.
    response = patch(client, url, alice, {"start": {"date": "2021-10-06", "basis": None}})
    assert_problem(response, 422, "'start.basis'", "needs a basis")
    assert get(client, url) == before
    source = f"/v1/sources/{EURONEWS}"
    response = patch(client, source, alice, {"written_date": {"date": "2021-10-05",
                                                              "basis": None}})
    assert_problem(response, 422, "'written_date.basis'")


def test_a_start_other_dates_derive_from_cannot_move_under_them(
    curated: Flask, client: FlaskClient, alice: dict[str, str]
) -> None:
    """The launch moved a week on, by a basis that holds: the press conference "the day
    before" it would be false, so the edit answers 409 naming it and changes nothing."""
    url = f"/v1/events/{EVENT}"
    before = get(client, url)
    moved = tuesday_of("event", "shatner-blue-origin-flight", "2021-10-12")
    response = patch(client, url, alice, {"start": moved})
    assert_problem(response, 409, "event 'pre-launch-press-conference'", "basis")
    assert get(client, url) == before
    eve = client.get("/v1/events/pre-launch-press-conference").json["start"]
    assert eve["date"] == "2021-10-04"


def test_an_accepted_date_edit_exports_to_seed_files_that_seed_again(
    curated: Flask, client: FlaskClient, alice: dict[str, str], tmp_path: Path
) -> None:
    """A new basis giving the same day (the Tuesday of the week 004 was written) keeps
    the dependents true: accepted, exported, and the export seeds without an error."""
    url = f"/v1/events/{EVENT}"
    same_day = tuesday_of("source", "004_ba6c03b084f54831", "2021-10-05")
    response = patch(client, url, alice, {"start": same_day})
    assert response.status_code == 200, response.json
    assert response.json["start"]["basis"]["reference"]["id"] == "004_ba6c03b084f54831"
    runner = curated.test_cli_runner()
    exported = runner.invoke(args=["export", str(tmp_path)])
    assert exported.exit_code == 0, exported.output
    events = yaml.safe_load((tmp_path / "events.yaml").read_text(encoding="utf-8"))
    launch = next(e for e in events if e["id"] == EVENT)
    assert launch["start"]["basis"]["reference"] == {"kind": "source",
                                                     "id": "004_ba6c03b084f54831"}
    seeded = runner.invoke(args=["seed", "--dir", str(tmp_path)])
    assert seeded.exit_code == 0, seeded.output
    assert client.get(url).json["start"] == response.json["start"]
