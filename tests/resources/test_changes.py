"""Following the data: the change log, the snapshot, and a mirror built from both."""

from __future__ import annotations

import gzip
import random
import threading
import time
from typing import Any

import orjson
import pytest
from curation_common import get
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event as sa_event
from sqlalchemy import exc as sa_exc
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from support import assert_problem, new_event

from api.cli.export import to_yaml
from api.domain.changelog import MODELS, data_version
from api.domain.store import KINDS
from api.extensions import db
from api.models import Change, Person
from schemas.seedform import seed_form

NDJSON = {"Accept": "application/x-ndjson"}


def entries(client: FlaskClient, url: str = "/v1/changes?limit=100") -> tuple[list[dict], str]:
    """Every entry from ``url`` on, following ``next`` to the end; and the last ``next``."""
    found = []
    while True:
        page = client.get(url).json
        found += page["items"]
        if not page["items"]:
            return found, page["next"]
        url = page["next"]


def test_each_write_is_an_entry_linking_to_the_version_it_made(
    app: Flask, client: FlaskClient, writer: dict[str, str]
) -> None:
    _, end = entries(client)
    created = client.post("/v1/events", json=new_event(), headers=writer)
    assert created.status_code == 201
    etag = created.headers["ETag"]
    changed = client.patch("/v1/events/crew-medical-check", json={"title": "Cleared"},
                           headers={**writer, "If-Match": etag,
                                    "Content-Type": "application/merge-patch+json"})
    assert changed.status_code == 200
    rejected = client.post("/v1/events", json=new_event(id="x", title=""), headers=writer)
    assert rejected.status_code == 422
    gone = client.delete("/v1/events/crew-medical-check",
                         headers={**writer, "If-Match": changed.headers["ETag"]})
    assert gone.status_code == 204

    found, _ = entries(client, end)
    assert [(e["action"], e["resource"]) for e in found] == [
        ("create", "event"), ("create", "citation"), ("update", "event"), ("delete", "event")]
    assert {e["mission"] for e in found} == {"the-challenge"}
    assert [e["seq"] for e in found] == list(range(found[0]["seq"], found[0]["seq"] + 4))
    create, citation, edit, delete = found
    assert citation["parent"] == {"resource": "event", "id": "crew-medical-check"}
    for entry, number in ((create, 1), (citation, 1), (edit, 2), (delete, 3)):
        revision = client.get(entry["links"]["version"]).json
        assert revision["number"] == entry["revision"] == number
    assert client.get(edit["links"]["version"]).json["snapshot"]["title"] == "Cleared"
    assert client.get(delete["links"]["record"]).status_code == 410  # the tombstone's record


def test_a_write_that_changes_nothing_uses_up_no_version(
    app: Flask, client: FlaskClient, writer: dict[str, str]
) -> None:
    """A PATCH that changes nothing appends nothing and leaves the version alone, so the
    next real change still gets a version no representation had (the memo of events'
    JSON is keyed by it)."""
    url, patch = "/v1/events/soyuz-ms-19-docking", "application/merge-patch+json"
    before = client.get(url)
    same = client.patch(url, json={"title": before.json["title"]}, headers={
        **writer, "If-Match": before.headers["ETag"], "Content-Type": patch})
    assert same.status_code == 200 and same.headers["ETag"] == before.headers["ETag"]
    assert client.get("/v1/events?limit=100").status_code == 200  # memoised as they are
    renamed = client.patch(url, json={"title": "Docked"}, headers={
        **writer, "If-Match": same.headers["ETag"], "Content-Type": patch})
    assert renamed.status_code == 200
    assert client.get(url).json["title"] == "Docked"
    listed = client.get("/v1/events?limit=100").json["items"]
    assert [e["title"] for e in listed if e["id"] == "soyuz-ms-19-docking"] == ["Docked"]


def test_filters_pages_and_polling_an_unchanged_log(
    app: Flask, client: FlaskClient, writer: dict[str, str]
) -> None:
    everything, end = entries(client)
    assert [e["seq"] for e in everything] == list(range(1, len(everything) + 1))
    first = client.get("/v1/changes?limit=10&resource=citation&action=create")
    assert [e["resource"] for e in first.json["items"]] == ["citation"] * 10
    assert first.headers["Link"] == f'<{first.json["next"]}>; rel="next"'
    rest, _ = entries(client, first.json["next"])
    citations = [e for e in everything if e["resource"] == "citation"]
    assert first.json["items"] + rest == citations
    assert client.get("/v1/changes?mission=nowhere").json["items"] == []

    polled = client.get(end)
    assert polled.json["items"] == []
    unchanged = client.get(end, headers={"If-None-Match": polled.headers["ETag"]})
    assert unchanged.status_code == 304
    person = {"id": "new-person", "name": "New Person", "roles": ["crew"]}
    assert client.post("/v1/people", json=person, headers=writer).status_code == 201
    after = client.get(end, headers={"If-None-Match": polled.headers["ETag"]})
    assert after.status_code == 200
    assert [(e["resource"], e["id"]) for e in after.json["items"]] == [("person", "new-person")]


def test_bad_queries_are_problems_naming_the_parameter(app: Flask, client: FlaskClient) -> None:
    for query, name in (("after=-1", "after"), ("resource=planet", "resource"),
                        ("action=erase", "action"), ("limit=0", "limit"), ("afetr=1", "afetr")):
        assert_problem(client.get(f"/v1/changes?{query}"), 400, f"query parameter '{name}")


def snapshot(client: FlaskClient, **headers: str) -> tuple[int, dict[tuple[str, str], Any]]:
    response = client.get("/v1/snapshot", headers=headers)
    assert response.status_code == 200 and response.mimetype == "application/x-ndjson"
    data = response.get_data()
    if response.headers.get("Content-Encoding") == "gzip":
        data = gzip.decompress(data)
    head, *lines = [orjson.loads(line) for line in data.splitlines()]
    assert int(response.headers["Snapshot-Seq"]) == head["seq"]
    return head["seq"], {(r["resource"], r["id"]): r["record"] for r in lines}


def apply(client: FlaskClient, mirror: dict[tuple[str, str], Any], entry: dict) -> None:
    """What a follower does with an entry: drop a deleted record; otherwise store the
    version the entry links to (a citation's or claim's: its holder's)."""
    resource, ident = entry["resource"], entry["id"]
    if resource in ("citation", "claim"):
        resource, ident = entry["parent"]["resource"], entry["parent"]["id"]
    elif entry["action"] == "delete":
        mirror.pop((resource, ident), None)
        return
    if entry["links"]["version"]:
        revision = client.get(entry["links"]["version"]).json
        if revision["action"] != "delete":
            mirror[(resource, ident)] = revision["snapshot"]
    else:  # a mission has no revisions: its record is its GET without links
        record = client.get(entry["links"]["record"]).json
        mirror[(resource, ident)] = {k: v for k, v in record.items() if k != "links"}


def canonical(records: dict[tuple[str, str], Any]) -> bytes:
    """The records as seed files would hold them, kind by kind, by id."""
    return b"".join(
        to_yaml([records[key] for key in sorted(records) if key[0] == kind]).encode()
        for kind in ("mission", "source", "person", "event"))


def test_a_mirror_from_a_snapshot_and_the_log_equals_the_source_while_writes_run(
    app: Flask, writer: dict[str, str]
) -> None:
    done, failures = threading.Event(), []

    def write() -> None:
        client = app.test_client()
        rnd = random.Random(7)
        try:
            for n in range(12):
                ident = f"mirror-{n}"
                made = client.post("/v1/events", json=new_event(id=ident), headers=writer)
                assert made.status_code == 201, made.json
                edit = client.patch(f"/v1/events/{ident}", json={"title": f"Edited {n}"},
                                    headers={**writer, "If-Match": made.headers["ETag"],
                                             "Content-Type": "application/merge-patch+json"})
                assert edit.status_code == 200, edit.json
                if rnd.random() < 0.5:
                    gone = client.delete(f"/v1/events/{ident}",
                                         headers={**writer, "If-Match": edit.headers["ETag"]})
                    assert gone.status_code == 204
                time.sleep(rnd.random() / 100)
        except AssertionError as error:
            failures.append(error)
        finally:
            done.set()

    thread = threading.Thread(target=write)
    thread.start()
    reader = app.test_client()
    time.sleep(0.05)
    seq, mirror = snapshot(reader, **{"Accept-Encoding": "gzip"})
    url = f"/v1/changes?after={seq}&limit=5"
    while True:  # follow while the writer writes, then once more after it stopped
        stopped = done.is_set()
        found, url = entries(reader, url)
        for entry in found:
            apply(reader, mirror, entry)
        if stopped:
            break
        time.sleep(0.01)
    thread.join()
    assert not failures
    final_seq, final = snapshot(reader)
    assert final_seq == int(url.rsplit("after=", 1)[1].split("&")[0])
    assert any(key[1].startswith("mirror-") for key in final)
    assert canonical(mirror) == canonical(final)


def test_a_snapshot_is_a_304_until_the_log_moves(app: Flask, client: FlaskClient,
                                                 writer: dict[str, str]) -> None:
    first = client.get("/v1/snapshot")
    first.get_data()
    assert "Cache-Control" in first.headers
    again = client.get("/v1/snapshot", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    zipped = client.get("/v1/snapshot", headers={"Accept-Encoding": "gzip"})
    zipped.get_data()
    assert zipped.headers["ETag"] != first.headers["ETag"]  # other bytes, another tag
    _, records = snapshot(client, **{"Accept-Encoding": "gzip"})
    assert records[("event", "soyuz-ms-19-docking")]["title"] == get(
        client, "/v1/events/soyuz-ms-19-docking")[0]["title"]
    assert client.post("/v1/people", json={"id": "p", "name": "P", "roles": ["crew"]},
                       headers=writer).status_code == 201
    moved = client.get("/v1/snapshot", headers={"If-None-Match": first.headers["ETag"]})
    assert moved.status_code == 200 and moved.get_data()


def test_each_snapshot_record_is_what_its_schema_dumps_now(
    app: Flask, client: FlaskClient, writer: dict[str, str]
) -> None:
    """Events, people and sources are served as their latest revisions keep them, and a
    record without a revision is dumped: either way each line holds what the record's
    schema gives now (what ``flask export`` writes), field for field and in order."""
    patch = {**writer, "Content-Type": "application/merge-patch+json"}
    made = client.post("/v1/events", json=new_event(), headers=writer)
    assert made.status_code == 201
    assert client.patch("/v1/events/crew-medical-check", json={
        "title": "Cleared", "tags": ["medical"], "end": {"date": "2021-10-06"}},
        headers={**patch, "If-Match": made.headers["ETag"]}).status_code == 200
    gone = client.post("/v1/events", json=new_event(id="gone"), headers=writer)
    assert client.delete("/v1/events/gone", headers={**writer, "If-Match": gone.headers["ETag"]}
                         ).status_code == 204
    url = "/v1/people/klim-shipenko"
    assert client.patch(url, json={"aliases": ["Klim"]}, headers={
        **patch, "If-Match": client.get(url).headers["ETag"]}).status_code == 200
    with app.app_context():  # records no revision holds
        db.session.add(Person(id="no-history", name="No History", roles=["extra"]))
        db.session.commit()
        expected = [(MODELS[model], obj.id, seed_form(schema, obj))
                    for _, model, schema in KINDS
                    for obj in db.session.scalars(select(model).order_by(model.id))]
    _, records = snapshot(client)
    assert [(*key, orjson.dumps(record)) for key, record in records.items()] == [
        (resource, ident, orjson.dumps(record)) for resource, ident, record in expected]
    assert records[("event", "crew-medical-check")]["end"] == {
        "date": "2021-10-06", "approximate": False, "inferred": False}
    assert ("event", "gone") not in records


def test_the_event_list_streams_every_match_as_ndjson(seeded_app: Flask) -> None:
    client = seeded_app.test_client()
    paged, url = [], "/v1/events?status=occurred&limit=7"
    while url:
        page = client.get(url).json
        paged += page["items"]
        url = page["next"]
    streamed = client.get("/v1/events?status=occurred&limit=7", headers=NDJSON)
    assert streamed.mimetype == "application/x-ndjson"
    assert [orjson.loads(line) for line in streamed.get_data().splitlines()] == paged
    fields = client.get("/v1/events?q=soyuz&fields=title", headers=NDJSON).get_data()
    assert all(set(orjson.loads(line)) == {"id", "title", "match"}
               for line in fields.splitlines())


def test_concurrent_writers_never_leave_a_gap_a_follower_skips(app: Flask) -> None:
    """Writers commit a while after taking their numbers (a delay injected between the
    append and the commit); a follower reading ``seq > last`` all the while must see every
    entry, in order, and the numbers have no gaps."""
    with app.app_context():
        db.session.add_all(Person(id=f"w{n}", name=f"Writer {n}", roles=[]) for n in range(4))
        db.session.commit()
        start = data_version()
        engine = db.engine

    def slow_commit(_session: Session) -> None:
        time.sleep(random.random() / 50)

    sa_event.listen(Session, "before_commit", slow_commit)  # runs after the append
    errors, seen, stop = [], [], threading.Event()

    def write(n: int) -> None:
        try:
            with app.app_context():
                round_ = 0
                while round_ < 15:
                    try:
                        db.session.execute(update(Person).where(Person.id == f"w{n}")
                                           .values(roles=[f"r{round_}"]))
                        person = db.session.get(Person, f"w{n}")
                        person.name = f"Writer {n}.{round_}"
                        db.session.commit()
                    except sa_exc.OperationalError as error:  # SQLite's busy timeout ran
                        db.session.rollback()  # out on a loaded machine: a client retries
                        if "locked" not in str(error):
                            raise
                        continue
                    round_ += 1
        except Exception as error:
            errors.append(error)

    def follow() -> None:
        last = start
        with engine.connect() as conn:
            while True:
                stopping = stop.is_set()
                rows = conn.execute(select(Change.seq).where(Change.seq > last)
                                    .order_by(Change.seq)).scalars().all()
                conn.rollback()
                seen.extend(rows)
                last = rows[-1] if rows else last
                if stopping:
                    return

    follower = threading.Thread(target=follow)
    follower.start()
    writers = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    try:
        for thread in writers:
            thread.start()
        for thread in writers:
            thread.join()
    finally:
        sa_event.remove(Session, "before_commit", slow_commit)
        stop.set()
        follower.join()
    assert not errors
    with app.app_context():
        assert data_version() == start + 60
    assert seen == list(range(start + 1, start + 61))


@pytest.mark.parametrize("url", ["/v1/changes", "/v1/snapshot"])
def test_following_is_in_the_openapi_document(seeded_app: Flask, url: str) -> None:
    spec = seeded_app.test_client().get("/openapi.json").json
    assert "get" in spec["paths"][url]
