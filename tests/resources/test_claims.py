"""Disagreements as data (/v1/disputes, ?disputed=) and derived dates through the API."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from curation_common import get
from flask import Flask
from flask.testing import FlaskClient
from support import assert_problem, new_event

from api.cli.seed import DEFAULT_DIR
from api.extensions import db
from api.models import Revision

SEEDS = Path(DEFAULT_DIR)
EVENTS = yaml.safe_load((SEEDS / "events.yaml").read_text(encoding="utf-8"))
SOURCES = yaml.safe_load((SEEDS / "sources.yaml").read_text(encoding="utf-8"))
CLAIMS = [(e["id"], None, c) for e in EVENTS for c in e["claims"]]
CLAIMS += [(None, s["id"], c) for s in SOURCES for c in s["claims"]]


@pytest.fixture
def reader(seeded_app: Flask) -> FlaskClient:
    """A client of the shared, read-only seeded app."""
    return seeded_app.test_client()


def every(client: FlaskClient, url: str) -> list[dict]:
    items = []
    while url:
        page = client.get(url)
        assert page.status_code == 200, page.json
        items += page.json["items"]
        url = page.json["next"]
    return items


def test_disputes_list_every_disagreement_with_its_versions(reader: FlaskClient) -> None:
    client = reader
    found = every(client, "/v1/disputes?limit=4")
    assert len(CLAIMS) >= 10
    listed = [(d["event"], d["source"], d["topic"]) for d in found]
    assert len(listed) == len(set(listed)) == len(CLAIMS)  # each once, across pages
    assert set(listed) == {(event, source, claim["topic"]) for event, source, claim in CLAIMS}
    heroine = next(d for d in found if d["topic"] == "the heroine's profession")
    assert {v["value"] for v in heroine["values"]} == {"surgeon", "doctor"}
    assert heroine["links"]["subject"].endswith("/v1/events/the-challenge-co-production")
    header = next(d for d in found if d["source"] == "004_ba6c03b084f54831")
    assert header["field"] == "written_date" and header["event"] is None
    assert [q["quote"] for q in header["values"][0]["quotes"]] == ["date 2022-02-23"]


def test_disputes_filter_and_revalidate(reader: FlaskClient) -> None:
    client = reader
    assert {d["source"] for d in every(client, "/v1/disputes?kind=source")} == {
        "004_ba6c03b084f54831"}
    about_people = every(client, "/v1/disputes?field=people&limit=100")
    assert {d["topic"] for d in about_people} == {
        c["topic"] for _, _, c in CLAIMS if c["field"] == "people"}
    first = client.get("/v1/disputes")
    assert first.headers["ETag"]
    again = client.get("/v1/disputes", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert_problem(client.get("/v1/disputes?kind=person"), 400, field="kind")


def test_events_filter_on_being_disputed(reader: FlaskClient) -> None:
    client = reader
    disputed = {e["id"] for e in every(client, "/v1/events?disputed=true&limit=100")}
    assert disputed == {e["id"] for e in EVENTS if e["claims"]}
    undisputed = {e["id"] for e in every(client, "/v1/events?disputed=false&limit=100")}
    assert undisputed == {e["id"] for e in EVENTS} - disputed
    shown = client.get("/v1/events/pre-launch-press-conference").json["claims"]
    assert [[v["value"] for v in c["values"]] for c in shown] == [["a window", "a hatch"]]


def test_the_openapi_document_describes_disputes(reader: FlaskClient) -> None:
    client = reader
    spec = client.get("/openapi.json").json
    assert "/v1/disputes" in spec["paths"]
    names = {p["name"] for p in spec["paths"]["/v1/events"]["get"]["parameters"]}
    assert "disputed" in names
    assert client.get("/").json["links"]["disputes"].endswith("/v1/disputes")


# --- Writes: a date's basis is checked like a quote -----------------------------------------

def inferred(date: str, quote: str, rule: str = "days-after", **params: object) -> dict:
    return {"date": date, "inferred": True, "basis": {
        "source": "004_ba6c03b084f54831", "quote": quote, "rule": rule,
        "reference": {"kind": "event", "id": "soyuz-ms-19-docking"}, **params}}


QUOTE = "Shipenko said the day before the trip"
CITED = [{"source": "004_ba6c03b084f54831", "supports": ["title", "start"],
          "quote": "There is no cameraman who can tell us how to work with light from a hatch,"
                   "\N{RIGHT DOUBLE QUOTATION MARK} Shipenko said the day before the trip."}]


@pytest.mark.parametrize(("start", "field", "words"), [
    ({"date": "2021-10-04", "inferred": True}, "start.basis", "needs a basis"),
    (inferred("2021-10-04", "the day before", offset=-1) | {"inferred": False}, "start.inferred",
     "exactly when"),
    (inferred("2021-10-04", "docked this Tuesday", offset=-1), "start.basis.quote",
     "supports 'start'"),
    (inferred("2021-10-04", QUOTE), "start.basis.offset", "needs 'offset'"),
    (inferred("2021-10-03", QUOTE, offset=-1), "start.date", "the basis gives '2021-10-04'"),
    (inferred("2021-10-04", QUOTE, offset=-1) | {"basis": {
        **inferred("x", QUOTE, offset=-1)["basis"], "reference": {"kind": "event",
                                                                 "id": "no-such-event"}}},
     "start.basis.reference", "no-such-event"),
])
def test_a_date_whose_basis_does_not_hold_is_refused(
    curated: Flask, client: FlaskClient, alice: dict[str, str],
    start: dict, field: str, words: str,
) -> None:
    response = client.post("/v1/events", headers=alice,
                           json=new_event(start=start, citations=CITED))
    assert_problem(response, 422, f"'{field}'", words)


def test_a_date_whose_basis_holds_is_stored_and_shown(
    curated: Flask, client: FlaskClient, alice: dict[str, str]
) -> None:
    response = client.post("/v1/events", headers=alice, json=new_event(
        start=inferred("2021-10-04", QUOTE, offset=-1), citations=CITED))
    assert response.status_code == 201, response.json
    basis = response.json["start"]["basis"]
    assert basis["explanation"] == "1 day before the start of event 'soyuz-ms-19-docking'"
    assert basis["reference"]["url"].endswith("/v1/events/soyuz-ms-19-docking")
    assert response.json["citations"][0]["verified"] is True


def test_a_revision_from_before_bases_still_shows(
    curated: Flask, client: FlaskClient
) -> None:
    """Revisions recorded under the earlier, laxer schema keep rendering for ?as_of."""
    url = "/v1/events/crew-returns-to-earth"
    body, _ = get(client, url)
    legacy = {key: value for key, value in body.items()
              if key not in ("edtf", "links", "claims")}
    legacy["start"] = {"date": "2021-10-17", "approximate": False, "inferred": True}
    legacy["citations"] = [{k: c[k] for k in ("source", "quote", "supports")}
                           for c in body["citations"]]
    legacy["people"] = [{k: p[k] for k in ("person", "role")} for p in body["people"]]
    moment = dt.datetime(2000, 1, 1)
    with curated.app_context():
        db.session.add(Revision(event_id="crew-returns-to-earth", number=0, at=moment,
                                who="before", action="create", changed=[], snapshot=legacy))
        db.session.commit()
    response = client.get(url, query_string={"as_of": "2000-01-02T00:00:00Z"})
    assert response.status_code == 200, response.json
    assert response.json["start"] == {"date": "2021-10-17", "precision": "day",
                                      "approximate": False, "inferred": True}
