"""Writers that race each other get 201/204 or 409, never a 500, and leave no orphan rows:
constraints the database enforces (foreign keys on SQLite too) become 409 in one place."""

from __future__ import annotations

import threading
from functools import partial
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from support import assert_problem, at_once, new_event

from api.extensions import db
from api.http import writes
from api.models import EventPerson, Person
from api.resources import events, records

SOURCE = "004_ba6c03b084f54831"




def run_together(app: Flask, requests: list[Any]) -> list[Any]:
    """Run each ``request(client)`` in its own thread and client; their responses."""
    def call(request: Any) -> Any:
        with app.test_client() as client:
            return request(client)

    return at_once([partial(call, request) for request in requests])


@pytest.mark.parametrize(("path", "body", "module"), [
    ("/v1/events", new_event(), events),
    ("/v1/people", {"id": "guest", "name": "A Guest"}, writes),
])
def test_concurrent_posts_of_one_new_id_get_one_201_and_409s(
    app: Flask, writer: dict[str, str], monkeypatch: pytest.MonkeyPatch,
    path: str, body: dict[str, Any], module: Any,
) -> None:
    # All three pass the "is the id free?" check before any of them inserts.
    all_checked = threading.Barrier(3, timeout=10)
    taken = module.taken

    def taken_together(*args: Any) -> bool:
        free = taken(*args)
        all_checked.wait()
        return free

    monkeypatch.setattr(module, "taken", taken_together)
    responses = run_together(app, [lambda c: c.post(path, json=body, headers=writer)] * 3)
    assert sorted(r.status_code for r in responses) == [201, 409, 409], [
        r.get_json() for r in responses]
    assert_problem(next(r for r in responses if r.status_code == 409), 409, "taken")


def orphans(app: Flask) -> list[str]:
    with app.app_context():
        people = select(Person.id)
        return list(db.session.scalars(
            select(EventPerson.event_id).where(EventPerson.person_id.not_in(people))))


def test_a_post_naming_a_person_deleted_meanwhile_gets_409(
    app: Flask, client: FlaskClient, writer: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert client.post("/v1/people", json={"id": "guest", "name": "A Guest"},
                       headers=writer).status_code == 201
    checked, deleted = threading.Event(), threading.Event()
    check = writes.check_references

    def check_then_wait(refs: list) -> None:
        check(refs)  # the person still exists here...
        checked.set()
        deleted.wait(10)  # ...and is deleted before the event is written

    monkeypatch.setattr(writes, "check_references", check_then_wait)

    def delete(client: FlaskClient) -> Any:
        checked.wait(10)
        etag = client.get("/v1/people/guest").headers["ETag"]
        response = client.delete("/v1/people/guest", headers={**writer, "If-Match": etag})
        deleted.set()
        return response

    body = new_event(people=[{"person": "guest", "role": "doctor"}])
    post, removal = run_together(app, [
        lambda c: c.post("/v1/events", json=body, headers=writer), delete])
    assert removal.status_code == 204
    assert_problem(post, 409, "changed meanwhile")
    assert orphans(app) == []
    assert client.get("/v1/events.csv").status_code == 200
    assert client.get("/v1/events/crew-medical-check").status_code == 404


def test_deleting_a_person_an_event_took_meanwhile_gets_409(
    app: Flask, client: FlaskClient, writer: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The DELETE checked "no event involves them" just before an event naming them landed.
    monkeypatch.setattr(records, "cited", lambda *_: False)
    etag = client.get("/v1/people/klim-shipenko").headers["ETag"]
    response = client.delete("/v1/people/klim-shipenko", headers={**writer, "If-Match": etag})
    assert_problem(response, 409)
    assert orphans(app) == []
    assert client.get("/v1/people/klim-shipenko").status_code == 200
    assert client.get("/v1/events.csv").status_code == 200
