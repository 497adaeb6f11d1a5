"""The JSON Feed and the Atom feed: valid, newest change first (a curator's edit moves an
event to the top)."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest
from flask import Flask
from flask.testing import FlaskClient
from formats_common import ATOM, ATOM_NS, JSON_FEED, event_ids
from support import make_app

from api.domain import history
from api.domain.store import apply
from api.extensions import db
from api.models import Event


@pytest.fixture
def app(seeded_app: Flask) -> Flask:
    return seeded_app


def test_json_feed_is_version_1_1_newest_first(client: FlaskClient, app: Flask) -> None:
    response = client.get(JSON_FEED)
    assert response.mimetype == "application/feed+json"
    feed = json.loads(response.data)
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["feed_url"].endswith(JSON_FEED)
    items = feed["items"]
    assert len(items) == len(event_ids(app))
    assert len({item["id"] for item in items}) == len(items)
    modified = [dt.datetime.fromisoformat(item["date_modified"]) for item in items]
    assert modified == sorted(modified, reverse=True)
    assert all(m.tzinfo is not None for m in modified)
    for item in items:  # what JSON Feed 1.1 requires of an item
        assert isinstance(item["id"], str) and item["content_html"] and item["content_text"]
        assert item["url"].startswith("http://localhost/v1/events/")


def test_atom_feed_parses_newest_first(client: FlaskClient, app: Flask) -> None:
    response = client.get(ATOM)
    assert response.mimetype == "application/atom+xml"
    parsed = feedparser.parse(response.data)
    assert parsed.version == "atom10" and not parsed.bozo
    assert parsed.feed.title.startswith("The Challenge (Vyzov)")
    assert len(parsed.entries) == len(event_ids(app))
    updated = [entry.updated_parsed for entry in parsed.entries]
    assert updated == sorted(updated, reverse=True)
    root = ET.fromstring(response.data)
    entries = root.findall(f"{ATOM_NS}entry")
    ids = [e.findtext(f"{ATOM_NS}id") for e in entries]
    assert len(set(ids)) == len(ids) and all(i.startswith("tag:") for i in ids)
    self_link = root.find(f"{ATOM_NS}link[@rel='self']")
    assert self_link is not None and self_link.get("href").endswith(ATOM)
    first = entries[0]
    assert first.find(f"{ATOM_NS}content").get("type") == "html"
    assert first.find(f"{ATOM_NS}link").get("href").startswith("http://localhost/v1/events/")


@pytest.fixture
def fresh_app(backend: str, tmp_path: Path) -> Iterator[Flask]:
    """A seeded app of this test's own, for tests that change the data."""
    yield from make_app(backend, tmp_path, seeded=True)


def test_feeds_put_the_latest_change_first(fresh_app: Flask) -> None:
    """A curator's edit moves the event to the top of the feeds, dated by its revision."""
    client = fresh_app.test_client()
    before = json.loads(client.get(JSON_FEED).data)["items"]
    edited = before[-1]["url"].rsplit("/", 1)[1]
    with fresh_app.app_context():
        event = db.session.get(Event, edited)
        apply(event, {"title": "A corrected title"})
        history.record(event, "curator")
        db.session.commit()
        revision_time = history.latest(edited).at.replace(tzinfo=dt.UTC)
    after = json.loads(client.get(JSON_FEED).data)["items"]
    assert after[0]["url"] == before[-1]["url"] and after[0]["title"] == "A corrected title"
    assert dt.datetime.fromisoformat(after[0]["date_modified"]) == revision_time
    assert [i["id"] for i in after[1:]] == [i["id"] for i in before[:-1]]
    atom = feedparser.parse(client.get(ATOM).data)
    assert atom.entries[0].title == "A corrected title"
