"""Curators' writes: tokens, validation, If-Match, the edit race, verified quotes, history."""

from __future__ import annotations

import hashlib
import logging
import threading
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text

from api.cli.seed import DEFAULT_DIR, load_seeds
from api.domain.quotes import normalise
from api.domain.store import data_version
from api.extensions import db
from api.http import writes
from api.models import Source

EVENT = "soyuz-ms-19-launch"
SOURCE = "004_ba6c03b084f54831"  # cited by EVENT


@pytest.fixture
def curated(app: Flask, articles: Path) -> Flask:
    """The dataset with its source texts loaded (so quotes are checked)."""
    with app.app_context():
        load_seeds(DEFAULT_DIR, str(articles))
    return app


def make_token(app: Flask, name: str, scope: str = "write") -> str:
    result = app.test_cli_runner().invoke(
        args=["tokens", "create", "--name", name, "--scope", scope])
    assert result.exit_code == 0, result.output
    return result.output.strip()


@pytest.fixture
def alice(curated: Flask) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(curated, 'alice')}"}


def get(client: FlaskClient, url: str) -> tuple[dict[str, Any], str]:
    response = client.get(url)
    assert response.status_code == 200, response.json
    return response.json, response.headers["ETag"].strip('"')


def new_event(**changes: Any) -> dict[str, Any]:
    return {
        "id": "crew-medical-check", "mission": "the-challenge", "type": "training",
        "status": "occurred", "title": "Crew passes the medical check",
        "summary": "The film crew was cleared to fly.",
        "start": {"date": "2021-10-05"},
        "citations": [{"source": SOURCE, "quote": "Soyuz MS-19", "supports": ["title"]}],
        **changes,
    }


def assert_problem(response: Any, status: int, *words: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    for word in words:
        assert word in response.json["detail"], response.json["detail"]


# --- Tokens -------------------------------------------------------------------------------

def test_the_database_holds_only_a_hash_of_each_token(curated: Flask) -> None:
    token = make_token(curated, "alice")
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
    reader = make_token(curated, "reader", "read")
    response = client.post("/v1/events", json=new_event(),
                           headers={"Authorization": f"Bearer {reader}"})
    assert_problem(response, 403, "'write' scope")
    assert client.get(f"/v1/events/{EVENT}").status_code == 200  # reads stay public


def test_a_revoked_token_stops_working(curated: Flask, client: FlaskClient) -> None:
    headers = {"Authorization": f"Bearer {make_token(curated, 'bob')}"}
    assert client.post("/v1/events", json=new_event(), headers=headers).status_code == 201
    result = curated.test_cli_runner().invoke(args=["tokens", "revoke", "--name", "bob"])
    assert result.exit_code == 0
    response = client.post("/v1/events", json=new_event(id="other"), headers=headers)
    assert_problem(response, 401, "revoked")


def test_tokens_never_appear_in_logs_or_responses(
    curated: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    token = make_token(curated, "carol")
    headers = {"Authorization": f"Bearer {token}"}
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


# --- Create, validate ---------------------------------------------------------------------

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


# --- If-Match and the edit race -----------------------------------------------------------

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
    bob = {"Authorization": f"Bearer {make_token(curated, 'bob')}"}
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
    assert results[loser].mimetype == "application/problem+json"
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


# --- Delete -------------------------------------------------------------------------------

LEAF = "kalachev-pr-criticism"  # cites SOURCE; no other date derives from it


def test_a_deleted_event_is_gone_but_keeps_its_history_and_id(
    curated: Flask, client: FlaskClient, alice: dict[str, str]
) -> None:
    url = f"/v1/events/{LEAF}"
    _, etag = get(client, url)
    assert_problem(client.delete(url, headers=alice), 428)
    assert client.delete(url, headers={**alice, "If-Match": f'"{etag}"'}).status_code == 204
    assert_problem(client.get(url), 410, "deleted", "/revisions")
    ids = [e["id"] for e in client.get("/v1/events?limit=100").json["items"]]
    assert LEAF not in ids and len(ids) == 34
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
    url = f"/v1/events/{EVENT}"
    body, etag = get(client, url)
    response = client.delete(url, headers={**alice, "If-Match": f'"{etag}"'})
    assert_problem(response, 409, "crew-returns-to-earth", "pre-launch-press-conference")
    assert get(client, url) == (body, etag)


# --- Verified citations -------------------------------------------------------------------

def test_a_fabricated_quote_is_rejected_and_changes_nothing(
    curated: Flask, client: FlaskClient, alice: dict[str, str]
) -> None:
    url = f"/v1/events/{EVENT}"
    body, etag = get(client, url)
    fake = {"source": SOURCE, "quote": "The crew landed on Mars.", "supports": ["title"]}
    response = client.post(f"{url}/citations", json=fake, headers=alice)
    position = len(body["citations"])
    assert_problem(response, 422, f"citations.{position}.quote", SOURCE)
    citations = [{k: c[k] for k in ("source", "quote", "supports")} for c in body["citations"]]
    citations[2] = fake  # (a citation no date basis or claim quotes from)
    response = client.patch(url, headers={**alice, "If-Match": f'"{etag}"'},
                            json={"title": "Changed", "citations": citations})
    assert_problem(response, 422, "citations.2.quote")
    assert get(client, url) == (body, etag)  # the title did not change either
    assert len(client.get(f"{url}/revisions").json["items"]) == 1


def test_an_accepted_quote_records_where_it_occurs(
    curated: Flask, client: FlaskClient, alice: dict[str, str]
) -> None:
    with curated.app_context():
        article = db.session.scalar(select(Source.text).where(Source.id == SOURCE))
    start = article.index("Soyuz MS-19")
    original = article[start:start + 60]
    # Typographic quotes and line breaks in the curator's copy do not matter.
    typed = original.replace('"', "“").replace(" ", "\n ", 1)
    response = client.post(f"/v1/events/{EVENT}/citations", headers=alice,
                           json={"source": SOURCE, "quote": typed, "supports": ["start"]})
    assert response.status_code == 201, response.json
    citation = response.json
    assert citation["verified"] is True
    offsets = citation["offsets"]
    assert normalise(article[offsets["start"]:offsets["end"]]) == normalise(original)
    assert response.headers["Location"].endswith(f"/v1/citations/{citation['id']}")
    event = client.get(f"/v1/events/{EVENT}").json
    assert all(c["verified"] for c in event["citations"])


def test_citations_are_edited_and_removed_with_if_match(
    curated: Flask, client: FlaskClient, alice: dict[str, str]
) -> None:
    event = client.get("/v1/events/gagarin-first-human-spaceflight").json
    only = event["citations"][0]
    url = f"/v1/citations/{only['id']}"
    citation, etag = get(client, url)
    assert citation["event"] == "gagarin-first-human-spaceflight"
    assert_problem(client.patch(url, json={"supports": ["title"]}, headers=alice), 428)
    # The start date's basis quote is in this citation: it must keep supporting the start.
    bare = client.patch(url, json={"supports": ["title"]},
                        headers={**alice, "If-Match": f'"{etag}"'})
    assert_problem(bare, 422, "'start.basis.quote'")
    ok = client.patch(url, json={"supports": ["title", "start"]},
                      headers={**alice, "If-Match": f'"{etag}"'})
    assert ok.status_code == 200 and ok.json["supports"] == ["title", "start"]
    assert_problem(client.delete(url, headers={**alice, "If-Match": ok.headers["ETag"]}), 409)
    added = client.post("/v1/events/gagarin-first-human-spaceflight/citations", headers=alice,
                        json={k: only[k] for k in ("source", "quote", "supports")})
    assert added.status_code == 201
    _, etag = get(client, url)
    assert client.delete(url, headers={**alice, "If-Match": f'"{etag}"'}).status_code == 204
    assert client.get(url).status_code == 404
    left = client.get("/v1/events/gagarin-first-human-spaceflight/citations").json["items"]
    assert [c["id"] for c in left] == [added.json["id"]]
    revisions = client.get("/v1/events/gagarin-first-human-spaceflight/revisions").json["items"]
    assert [r["changed"] for r in revisions[1:]] == [["citations"]] * 3


def test_seeding_a_fabricated_quote_fails_naming_the_citation(
    app: Flask, seeds_copy: Path, articles: Path
) -> None:
    path = seeds_copy / "events.yaml"
    original = 'quote: "For months, the actress has been training hard for the role."'
    assert original in path.read_text(encoding="utf-8")
    path.write_text(path.read_text(encoding="utf-8").replace(
        original, 'quote: "For years, the actress has been training hard for the role."'),
        encoding="utf-8")
    result = app.test_cli_runner().invoke(
        args=["seed", "--dir", str(seeds_copy), "--sources", str(articles)])
    assert result.exit_code != 0
    assert ("events.yaml: record 'crew-training': field 'citations.1.quote': not found in "
            f"the text of source '{SOURCE}'") in result.output
    with app.app_context():
        assert db.session.scalar(select(Source.id).limit(1)) is None  # all or nothing


def test_source_texts_are_for_curators_only(
    curated: Flask, client: FlaskClient, alice: dict[str, str]
) -> None:
    url = f"/v1/sources/{SOURCE}/text"
    assert "text" not in client.get(f"/v1/sources/{SOURCE}").json
    assert_problem(client.get(url), 401)
    reader = {"Authorization": f"Bearer {make_token(curated, 'reader', 'read')}"}
    response = client.get(url, headers=reader)
    assert response.status_code == 200 and "Soyuz MS-19" in response.get_data(as_text=True)
    assert "private" in response.headers["Cache-Control"]
    # A text that lacks a quote already cited is refused, naming the citations.
    response = client.put(url, data="Nothing relevant.", content_type="text/plain",
                          headers={**alice, "If-Match": response.headers["ETag"]})
    assert_problem(response, 422, "citation", f"(event '{EVENT}')")
    assert "Soyuz MS-19" in client.get(url, headers=reader).get_data(as_text=True)


# --- History ------------------------------------------------------------------------------

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


# --- Sources and people -------------------------------------------------------------------

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
    assert client.get(url).status_code == 404
    _, etag = get(client, f"{base}/{in_use}")
    assert_problem(client.delete(f"{base}/{in_use}", headers={**alice, "If-Match": f'"{etag}"'}),
                   409, "referred to")


# --- Export -------------------------------------------------------------------------------

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
