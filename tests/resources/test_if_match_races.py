"""If-Match holds on every writable record: writers racing with one ETag get exactly one
200 and 412s, and the record's history ends with what the winner wrote.

Real races, no hooks: each round reads the ETag, then three curators send their PATCH
with it at the same moment (a barrier), each on its own connection."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from curation_common import EVENT, SOURCE
from flask import Flask, request
from support import at_once

from api.resources import citations

ROUNDS = 25
RACERS = 4


def race(app: Flask, url: str, headers: dict[str, str],
         bodies: Callable[[dict[str, Any]], list[dict[str, Any]]],
         ) -> list[tuple[int, dict[str, Any]]]:
    """The bodies made from the record PATCHed to ``url`` at once with the same If-Match;
    (status, JSON) each."""
    with app.test_client() as client:
        current = client.get(url)
    etag, bodies = current.headers["ETag"], bodies(current.json)
    start = threading.Barrier(len(bodies), timeout=10)

    def send(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with app.test_client() as client:
            start.wait()
            response = client.patch(url, json=body, headers={
                **headers, "If-Match": etag, "Content-Type": "application/merge-patch+json"})
            return response.status_code, response.get_json()

    return at_once([partial(send, body) for body in bodies])


def first_citation(app: Flask) -> int:
    with app.test_client() as client:
        return client.get(f"/v1/events/{EVENT}/citations").json["items"][0]["id"]


# (the record's URL, the body racer ``i`` of round ``n`` sends given the record, the field
#  it changes, where the record's history is)
Kind = tuple[Callable[[Flask], str], Callable[[dict, int, int], dict[str, Any]], str, str]
KINDS: dict[str, Kind] = {
    "event": (lambda _: f"/v1/events/{EVENT}",
              lambda _, n, i: {"location": f"Pad {n}.{i}"}, "location", "{url}/revisions"),
    "person": (lambda _: "/v1/people/yulia-peresild",
               lambda _, n, i: {"roles": [f"Role {n}.{i}"]}, "roles", "{url}/revisions"),
    "source": (lambda _: f"/v1/sources/{SOURCE}",
               lambda _, n, i: {"title": f"Headline {n}.{i}"}, "title", "{url}/revisions"),
    "citation": (lambda app: f"/v1/citations/{first_citation(app)}",
                 # still holding what date bases and claims quote
                 lambda row, n, i: {"quote": f"{row['quote'][:900]} ({n}.{i})"}, "quote",
                 f"/v1/events/{EVENT}/revisions"),
}


def last_revision(app: Flask, url: str) -> dict[str, Any]:
    with app.test_client() as client:
        page = client.get(f"{url}?limit=100").json
        while page["next"]:
            page = client.get(page["next"]).json
        return page["items"][-1]


@pytest.mark.parametrize("kind", list(KINDS))
def test_racing_patches_with_one_etag_get_one_200_and_412s(
    app: Flask, writer: dict[str, str], kind: str,
) -> None:
    locate, body, field, history = KINDS[kind]
    url = locate(app)
    history = history.format(url=url)
    outcomes = []
    for n in range(ROUNDS):
        results = race(app, url, writer,
                       lambda row: [body(row, n, i) for i in range(RACERS)])  # noqa: B023
        outcomes.append(sorted(status for status, _ in results))
        won = [answer for status, answer in results if status == 200]
        if len(won) != 1:
            continue
        with app.test_client() as client:
            row = client.get(url).json
        assert row[field] == won[0][field]  # the winner's change is the row
        revision = last_revision(app, history)
        shown = revision["snapshot"]
        if kind == "citation":
            shown = shown["citations"][0]  # the event's first citation
        assert shown[field] == row[field], (n, revision)  # ...and the history's last word
    assert outcomes == [[200] + [412] * (RACERS - 1)] * ROUNDS


def test_a_citation_read_before_a_rival_commits_is_not_written_over(
    app: Flask, writer: dict[str, str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The window the races above hit by chance, held open: every racer but the first
    pauses just after reading the citation, while the first one commits its change."""
    url = f"/v1/citations/{first_citation(app)}"
    arrived, read = itertools.count(), citations.get_or_404

    def read_then_pause(*args: Any) -> Any:
        found = read(*args)
        if request.method == "PATCH" and next(arrived):
            time.sleep(0.3)
        return found

    monkeypatch.setattr(citations, "get_or_404", read_then_pause)
    results = race(app, url, writer,
                   lambda row: [{"quote": f"{row['quote']} ({i})"} for i in range(RACERS)])
    assert sorted(status for status, _ in results) == [200] + [412] * (RACERS - 1)
    with app.test_client() as client:
        assert client.get(url).json["quote"] == next(
            answer["quote"] for status, answer in results if status == 200)
