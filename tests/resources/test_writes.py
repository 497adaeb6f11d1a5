"""Curators' writes of events, sources and people: create and validate, If-Match and the
edit race, delete."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from curation_common import EVENT, SOURCE, get
from flask import Flask
from flask.testing import FlaskClient
from support import SEEDED, assert_problem, bearer, new_event

from api.cli.seed import DEFAULT_DIR, load_seeds
from api.domain.changelog import data_version
from api.http import writes

LEAF = "kalachev-pr-criticism"  # cites SOURCE; no other date derives from it


def test_post_creates_an_event_whose_etag_matches_get(
    curated: Flask, client: FlaskClient, alice: dict[str, str]
) -> None:
    response = client.post("/v1/events", json=new_event(), headers=alice)
    assert response.status_code == 201
    assert response.headers["Location"].endswith("/v1/events/crew-medical-check")
    body, etag = get(client, "/v1/events/crew-medical-check")
    assert response.headers["ETag"].strip('"') == etag
    assert body["title"] == "Crew passes the medical check"
    assert body["citations"][0]["verified"] is True
    listed = client.get("/v1/events?type=training&limit=100").json["items"]
    assert "crew-medical-check" in [e["id"] for e in listed]
    again = client.post("/v1/events", json=new_event(), headers=alice)
    assert_problem(again, 409, "taken")


def test_bad_bodies_are_rejected_naming_each_field(
    curated: Flask, client: FlaskClient, alice: dict[str, str]
) -> None:
    with curated.app_context():
        version = data_version()
    response = client.post("/v1/events", json=new_event(colour="red", status="maybe"),
                           headers=alice)
    assert_problem(response, 422, "field 'colour'", "field 'status'")
    response = client.post("/v1/events", json=new_event(citations=[
        {"source": "no-such-source", "quote": "q", "supports": ["title"]}]), headers=alice)
    assert_problem(response, 422, "field 'citations.0.source'", "no-such-source")
    response = client.post("/v1/events", data="id: x", headers=alice,
                           content_type="application/yaml")
    assert_problem(response, 415, "application/json")
    with curated.app_context():
        assert data_version() == version  # nothing was written


def test_patch_needs_the_current_etag(
    curated: Flask, client: FlaskClient, alice: dict[str, str]
) -> None:
    url = f"/v1/events/{EVENT}"
    body, etag = get(client, url)
    assert_problem(client.patch(url, json={"title": "New"}, headers=alice), 428, "If-Match")
    stale = {**alice, "If-Match": '"0123"'}
    assert_problem(client.patch(url, json={"title": "New"}, headers=stale), 412, "changed")
    fresh = {**alice, "If-Match": f'"{etag}"'}
    response = client.patch(url, json={"title": "New title", "idd": 1}, headers=fresh)
    assert_problem(response, 422, "field 'idd'")
    response = client.patch(url, json={"title": "New title"}, headers=fresh)
    assert response.status_code == 200
    assert response.json["title"] == "New title"
    assert response.json["summary"] == body["summary"]  # untouched fields stay
    _, new_etag = get(client, url)
    assert response.headers["ETag"].strip('"') == new_etag != etag
    # The old ETag is now stale.
    assert_problem(client.patch(url, json={"title": "Again"}, headers=fresh), 412)


def test_two_curators_racing_with_the_same_etag_one_wins_one_gets_412(
    curated: Flask, alice: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bob = bearer(curated, "bob")
    url = f"/v1/events/{EVENT}"
    _, etag = get(curated.test_client(), url)
    # Hold both requests just before their write until both have passed the ETag check,
    # then let them write at the same moment on their own connections.
    both_checked = threading.Barrier(2, timeout=10)
    claim = writes.claim

    def claim_together(obj: Any) -> None:
        both_checked.wait()
        claim(obj)

    monkeypatch.setattr(writes, "claim", claim_together)
    results: dict[str, Any] = {}

    def edit(name: str, headers: dict[str, str], change: dict[str, Any]) -> None:
        with curated.test_client() as client:
            results[name] = client.patch(url, json=change,
                                         headers={**headers, "If-Match": f'"{etag}"'})

    threads = [threading.Thread(target=edit, args=("alice", alice, {"title": "Alice's"})),
               threading.Thread(target=edit, args=("bob", bob, {"location": "Bob's"}))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    statuses = sorted(r.status_code for r in results.values())
    assert statuses == [200, 412]
    winner = next(name for name, r in results.items() if r.status_code == 200)
    loser = "bob" if winner == "alice" else "alice"
    assert_problem(results[loser], 412)
    client = curated.test_client()
    body, etag = get(client, url)
    assert (body["title"] == "Alice's") == (winner == "alice")
    assert (body["location"] == "Bob's") == (winner == "bob")
    revisions = client.get(f"{url}/revisions").json["items"]
    assert [r["who"] for r in revisions] == ["seed", winner]
    # The loser loses nothing: fetching again and resending works.
    monkeypatch.setattr(writes, "claim", claim)
    change = {"title": "Alice's"} if loser == "alice" else {"location": "Bob's"}
    again = client.patch(url, json=change,
                         headers={**(alice if loser == "alice" else bob), "If-Match": f'"{etag}"'})
    assert again.status_code == 200
    assert again.json["title"] == "Alice's" and again.json["location"] == "Bob's"


def test_a_deleted_event_is_gone_but_keeps_its_history_and_id(
    curated: Flask, client: FlaskClient, alice: dict[str, str]
) -> None:
    url = f"/v1/events/{LEAF}"
    _, etag = get(client, url)
    assert_problem(client.delete(url, headers=alice), 428)
    assert client.delete(url, headers={**alice, "If-Match": f'"{etag}"'}).status_code == 204
    assert_problem(client.get(url), 410, "deleted", "/revisions")
    ids = [e["id"] for e in client.get("/v1/events?limit=100").json["items"]]
    assert LEAF not in ids and len(ids) == SEEDED["events"] - 1
    source_events = [e["id"] for e in client.get(f"/v1/sources/{SOURCE}").json["events"]]
    assert LEAF not in source_events
    revisions = client.get(f"{url}/revisions").json["items"]
    assert [(r["action"], r["who"]) for r in revisions] == [("create", "seed"),
                                                            ("delete", "alice")]
    as_of = client.get(url, query_string={"as_of": revisions[0]["at"]})
    assert as_of.status_code == 200 and as_of.json["id"] == LEAF
    assert_problem(client.get(url, query_string={"as_of": revisions[1]["at"]}), 410)
    reuse = client.post("/v1/events", json=new_event(id=LEAF), headers=alice)
    assert_problem(reuse, 409, "taken")
    with curated.app_context():  # seeding again does not bring it back
        assert load_seeds(DEFAULT_DIR)["events.yaml"]["deleted"] == 1
    assert_problem(client.get(url), 410)


def test_an_event_other_dates_derive_from_cannot_be_deleted(
    curated: Flask, client: FlaskClient, alice: dict[str, str]
) -> None:
    url = "/v1/events/soyuz-ms-19-docking"
    body, etag = get(client, url)
    response = client.delete(url, headers={**alice, "If-Match": f'"{etag}"'})
    assert_problem(response, 409, "crew-returns-to-earth", "iss-filming",
                   "source '004_ba6c03b084f54831'")
    assert get(client, url) == (body, etag)


@pytest.mark.parametrize(("collection", "new", "in_use", "change"), [
    ("sources", {"id": "new-source", "file": "new.txt", "title": "A"}, SOURCE, {"title": "B"}),
    ("people", {"id": "new-person", "name": "A"}, "klim-shipenko", {"name": "B"}),
])
def test_sources_and_people_are_written_with_the_same_rules(
    curated: Flask, client: FlaskClient, alice: dict[str, str], collection: str,
    new: dict[str, str], in_use: str, change: dict[str, str],
) -> None:
    base = f"/v1/{collection}"
    assert_problem(client.post(base, json=new), 401)
    assert_problem(client.post(base, json={**new, "extra": 1}, headers=alice), 422, "'extra'")
    created = client.post(base, json=new, headers=alice)
    assert created.status_code == 201
    url = f"{base}/{new['id']}"
    _, etag = get(client, url)
    assert created.headers["ETag"].strip('"') == etag
    assert_problem(client.patch(url, json=change, headers=alice), 428)
    changed = client.patch(url, json=change, headers={**alice, "If-Match": f'"{etag}"'})
    assert changed.status_code == 200 and changed.json.items() >= change.items()
    assert_problem(client.delete(url, headers={**alice, "If-Match": f'"{etag}"'}), 412)
    deleted = client.delete(url, headers={**alice, "If-Match": changed.headers["ETag"]})
    assert deleted.status_code == 204
    gone = client.get(url)  # its history stays: 410, with its TimeMap
    assert_problem(gone, 410, "deleted", "/revisions")
    assert f'<http://localhost{url}/timemap>; rel="timemap"' in gone.headers["Link"]
    _, etag = get(client, f"{base}/{in_use}")
    assert_problem(client.delete(f"{base}/{in_use}", headers={**alice, "If-Match": f'"{etag}"'}),
                   409, "referred to")
