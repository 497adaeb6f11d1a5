"""The embed page and its TimelineJS document, through the test client (the browser tests
are in test_embed_browser.py): where it opens, context events, errors as a page, and where
it loads TimelineJS from."""

from __future__ import annotations

import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from formats_common import EMBED, TIMELINE
from sqlalchemy import select
from support import make_app

from api.extensions import db
from api.formats import source_label
from api.models import Event, Source
from api.queries import SORT_KEYS


@pytest.fixture
def app(seeded_app: Flask) -> Flask:
    return seeded_app


class Page(HTMLParser):
    """The elements of a page by tag, with their attributes, and its text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: dict[str, list[dict[str, str | None]]] = {}
        self.text = ""
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.setdefault(tag, []).append(dict(attrs))

    def handle_data(self, data: str) -> None:
        self.text += data

    def by_id(self, id: str) -> dict[str, str | None] | None:
        return next((a for tag in self.tags.values() for a in tag if a.get("id") == id), None)


def page(client: FlaskClient, url: str, status: int = 200) -> Page:
    response = client.get(url)
    assert response.status_code == status, response.data
    assert response.mimetype == "text/html"  # never a JSON problem inside the iframe
    return Page(response.get_data(as_text=True))


def test_opens_on_the_missions_launch_unless_told(client: FlaskClient) -> None:
    timeline = page(client, EMBED).by_id("timeline")
    assert timeline["data-start-at"] == "soyuz-ms-19-launch"
    chosen = page(client, f"{EMBED}?start_at=crew-returns-to-earth&group=type").by_id("timeline")
    assert chosen["data-start-at"] == "crew-returns-to-earth"
    # start_at is the page's own: the document gets only the filters.
    assert chosen["data-url"].endswith(f"{TIMELINE}?group=type")
    assert client.get(chosen["data-url"]).status_code == 200
    # Opening on a context event brings the context events along (else it is not there).
    moon = page(client, f"{EMBED}?start_at=first-moon-steps-1969").by_id("timeline")
    assert moon["data-url"].endswith(f"{TIMELINE}?context=1")
    slides = client.get(moon["data-url"]).json["events"]
    assert "first-moon-steps-1969" in {s["unique_id"] for s in slides}
    kept = page(client, f"{EMBED}?start_at=first-moon-steps-1969&context=0").by_id("timeline")
    assert kept["data-url"].endswith(f"{TIMELINE}?context=0")


@pytest.mark.parametrize(("query", "parameter", "status"), [
    ("group=colour", "group", 400),
    ("start_at=no-such-event", "start_at", 400),
    ("start_at=Not A Slug", "start_at", 400),
    ("from=2021-13", "from", 400),
    ("colour=red", "colour", 400),
])
def test_a_bad_parameter_is_a_message_in_the_page(
    client: FlaskClient, query: str, parameter: str, status: int
) -> None:
    shown = page(client, f"{EMBED}?{query}", status)
    message = shown.by_id("message")
    assert message is not None and "hidden" not in message
    assert f"Query parameter '{parameter}'" in shown.text
    assert shown.by_id("timeline") is None and "script" not in shown.tags
    assert any(a.get("href") == EMBED for a in shown.tags["a"])  # the way back


def test_an_unknown_mission_is_a_message_in_the_page(client: FlaskClient) -> None:
    shown = page(client, "/embed/no-such-mission", 404)
    assert "No mission with id 'no-such-mission'" in shown.text


def test_the_page_runs_no_inline_script_and_fits_a_phone(client: FlaskClient) -> None:
    shown = page(client, EMBED)
    scripts = [s.get("src") for s in shown.tags["script"]]
    assert scripts and all(scripts)  # every script is a file: a CSP needs no 'unsafe-inline'
    # and no inline code or style either: the only text is the page's title
    assert shown.text.strip() == "The Challenge (Vyzov) — first feature film shot in orbit"
    assert "style" not in shown.tags
    local = [s for s in scripts if s.startswith("/static/")]
    assert local == ["/static/embed.js"]
    with client.get(local[0]) as script:
        assert script.status_code == 200 and script.mimetype == "text/javascript"
        assert b"start_at_slide" in script.data
    viewport = next(m for m in shown.tags["meta"] if m.get("name") == "viewport")
    assert "width=device-width" in viewport["content"]


def test_context_events_are_left_out_unless_asked_for(client: FlaskClient, app: Flask) -> None:
    with app.app_context():
        context = set(db.session.scalars(select(Event.id).where(Event.type == "context")))
        total = len(db.session.scalars(select(Event.id)).all())
    default = client.get(TIMELINE).json["events"]
    assert default and not context & {s["unique_id"] for s in default}
    assert all("context" not in s["group"] for s in default)
    everything = client.get(f"{TIMELINE}?context=1").json["events"]
    assert len(everything) == total > len(default)
    groups = {s["unique_id"]: s["group"] for s in everything}
    assert {groups[id] for id in context} == {"context"}  # a row of their own
    assert groups["soyuz-ms-19-launch"] == "occurred"


def test_every_citation_names_its_source_in_words(client: FlaskClient, app: Flask) -> None:
    with app.app_context():
        ids = set(db.session.scalars(select(Source.id)))
    for slide in client.get(f"{TIMELINE}?context=1").json["events"]:
        text = slide["text"]["text"]  # citations and the bases of dates alike
        assert not [id for id in ids if id in text], slide["unique_id"]
    launch = next(s for s in client.get(TIMELINE).json["events"]
                  if s["unique_id"] == "soyuz-ms-19-launch")
    # The article without a headline has a title the curators supplied, and says so.
    assert ("<cite>Untitled article: a Russian film crew docks at the ISS to shoot a feature "
            "film (title supplied by the curators)</cite>") in launch["text"]["text"]


def test_an_untitled_source_is_described_by_what_is_known_of_it() -> None:
    written = {"date": "2021-10-05", "approximate": True, "inferred": True}
    source = Source(id="x", title=None, publisher="DW", author=None, written_date=written,
                    stated_date={"date": "2022-02-23", "approximate": False, "inferred": False})
    assert source_label(source) == "Untitled article (DW), c. 5 October 2021"
    bare = Source(id="y", title=None, publisher=None, author=None, written_date=None,
                  stated_date=None)
    assert source_label(bare) == "Untitled article"


def test_embed_page_loads_timelinejs_from_the_configured_place(
    backend: str, tmp_path: Path
) -> None:
    for app in make_app(backend, tmp_path, seeded=True,
                        TIMELINEJS_URL="https://static.example/tl/3.9.11/",
                        EMBED_API_URL="https://api.example"):
        parsed = page(app.test_client(), EMBED + "?status=planned&group=type")
        scripts = [attrs.get("src") for attrs in parsed.tags["script"]]
        assert "https://static.example/tl/3.9.11/js/timeline.js" in scripts
        links = [a["href"] for a in parsed.tags["link"] if a["rel"] == "stylesheet"]
        assert links[0] == "https://static.example/tl/3.9.11/css/timeline.css"
        # No inline script (CSP): /static/embed.js reads these from the timeline's element.
        timeline = parsed.by_id("timeline")
        data_url, options = timeline["data-url"], json.loads(timeline["data-options"])
        assert data_url == "https://api.example/v1/missions/the-challenge/timelinejs?status=planned&group=type"
        assert options["font"] is None  # nothing from a font CDN
        assert options["script_path"] == "https://static.example/tl/3.9.11/js/"


def test_embed_page_serves_timelinejs_itself_by_default(client: FlaskClient, app: Flask) -> None:
    src = next(a["src"] for a in page(client, EMBED).tags["script"] if a.get("src"))
    assert src == "http://localhost/embed/timelinejs/js/timeline.js"
    if not Path(app.config["TIMELINEJS_DIR"], "js", "timeline.js").is_file():
        reason = "TimelineJS is not installed (npm install @knight-lab/timelinejs)"
        pytest.fail(reason) if os.environ.get("CI") else pytest.skip(reason)
    with client.get(src) as script:
        assert script.status_code == 200 and script.data.startswith(b"/*! For license information")
    assert client.get("/embed/timelinejs/../../setup.cfg").status_code == 404


def test_the_bound_counts_only_the_events_shown(backend: str, tmp_path: Path) -> None:
    """Context events are left out by the query, so a document of the bound's size is full
    of the mission's own events even when the earliest events are mostly context."""
    for small in make_app(backend, tmp_path, seeded=True, FORMAT_MAX_EVENTS=10):
        client = small.test_client()
        with small.app_context():
            events = db.session.scalars(select(Event).order_by(*SORT_KEYS)).all()
            own = [e.id for e in events if not e.is_context]
            assert sum(e.is_context for e in events[:10]) > 5  # what the bound must skip
        seen, url = [], TIMELINE
        while url:
            response = client.get(url)
            slides = [s["unique_id"] for s in response.json["events"]]
            link = re.search(r'<([^>]+)>; rel="next"', response.headers.get("Link", ""))
            url = link and link.group(1)
            assert len(slides) == 10 or url is None  # only the last page is short
            seen += slides
        assert seen == own
