"""Verified citations: a quote must occur in its source's text, through the API and the
seed files; citations edited and removed with If-Match; source texts for curators only."""

from __future__ import annotations

from pathlib import Path

from curation_common import EVENT, SOURCE, get
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from support import assert_problem, bearer

from api.domain.quotes import normalise
from api.extensions import db
from api.models import Source


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
    # Line breaks in the curator's copy do not matter (only whitespace may differ).
    typed = original.replace(" ", "\n ", 1)
    response = client.post(f"/v1/events/{EVENT}/citations", headers=alice,
                           json={"source": SOURCE, "quote": typed, "supports": ["start"]})
    assert response.status_code == 201, response.json
    citation = response.json
    assert citation["verified"] is True
    # A straight apostrophe where the article has a typographic one is not its words.
    assert "\u2019s production costs" in article
    straight = client.post(f"/v1/events/{EVENT}/citations", headers=alice, json={
        "source": SOURCE, "quote": "keeping the film's production costs secret",
        "supports": ["summary"]})
    assert_problem(straight, 422, "quote", SOURCE)
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
    reader = bearer(curated, "reader", "read")
    response = client.get(url, headers=reader)
    assert response.status_code == 200 and "Soyuz MS-19" in response.get_data(as_text=True)
    assert "private" in response.headers["Cache-Control"]
    # A text that lacks a quote already cited is refused, naming the citations.
    response = client.put(url, data="Nothing relevant.", content_type="text/plain",
                          headers={**alice, "If-Match": response.headers["ETag"]})
    assert_problem(response, 422, "citation", f"(event '{EVENT}')")
    assert "Soyuz MS-19" in client.get(url, headers=reader).get_data(as_text=True)
