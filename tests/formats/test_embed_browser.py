"""End to end: the embed page renders the timeline in a real headless Chromium.

On a desk and on a phone (tests/chromium.py) it opens on the mission's launch with no
console error under its Content-Security-Policy, the slide's headline and first quote
whole on screen, no marker over another, no two markers reading alike and the zoom buttons
over neither a marker nor a group's label; it shows a readable message for an empty
result, a bad parameter or a failing API; and the index page embeds it. Screenshots go to
SCREENSHOT_DIR (default: the test's tmp folder).

The page is served from http://127.0.0.1:PORT and reads its data from http://localhost:PORT,
another origin, so the browser really applies CORS. Needs Debian's `chromium` and the npm
package `@knight-lab/timelinejs` (both installed by .ci/run): outside CI the test is
skipped without them; in CI (env CI set) their absence is a failure.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from chromium import DESK, PHONE, new_page, on_a_desk_and_a_phone, require, screenshot, width
from flask import Flask
from sqlalchemy import func, select
from support import free_port, make_app

from api.extensions import db, dispose_engines
from api.models import Event

pytestmark = pytest.mark.slow

TIMEOUT_MS = 40_000  # TimelineJS on a busy machine: a wait, not a target
# Each marker of the timeline's navigation: its event, where it is drawn and the part of
# its title a reader sees: the characters drawn on its first line inside its box, short of
# the ellipsis ("…") where the rest is cut.
MARKERS_JS = """() => [...document.querySelectorAll('.tl-timenav .tl-timemarker')].map(m => {
    const r = m.querySelector('.tl-timemarker-content-container').getBoundingClientRect();
    const title = m.querySelector('.tl-headline'), text = title.firstChild;
    const right = Math.min(r.right, title.getBoundingClientRect().right);
    const range = document.createRange(), pen = document.createElement('canvas').getContext('2d');
    pen.font = getComputedStyle(title).font;
    let seen = 0;
    const drawn = end => {
        range.setStart(text, 0); range.setEnd(text, end);
        const rects = [...range.getClientRects()];
        return {lines: new Set(rects.map(c => Math.round(c.top))).size,
                right: Math.max(...rects.map(c => c.right))};
    };
    const whole = text && drawn(text.length);
    if (whole && whole.lines === 1 && whole.right <= right) seen = text.length;
    else while (text && seen < text.length) {
        const part = drawn(seen + 1);
        if (part.lines > 1 || part.right > right - pen.measureText('\u2026').width) break;
        seen++;
    }
    return {id: m.id.replace(/-marker$/, ''), x: r.left, y: r.top, w: r.width, h: r.height,
            seen: text ? text.data.slice(0, seen).trim() : ''};
})"""
# Boxes of the zoom and navigation buttons, and of the groups' labels.
BOXES_JS = """selector => [...document.querySelectorAll(selector)]
    .map(e => e.getBoundingClientRect()).filter(r => r.width && r.height)
    .map(r => ({id: selector, x: r.left, y: r.top, w: r.width, h: r.height}))"""
# Where the parts of a slide a reader must see are drawn, and whether they are in view:
# inside the slide's area (above the navigation) and the window, under nothing else.
SLIDE_JS = """id => {
    const slide = document.getElementById(id);
    const area = document.querySelector('.tl-storyslider').getBoundingClientRect();
    const part = selector => {
        const e = slide.querySelector(selector), r = e.getBoundingClientRect();
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return {text: e.innerText, top: r.top, bottom: r.bottom, in_view:
                r.top >= Math.max(area.top, 0) && r.bottom <= Math.min(area.bottom, innerHeight)
                && r.left >= 0 && r.right <= innerWidth && e.contains(hit)};
    };
    return {date: part('.tl-headline-date'), headline: part('.tl-text h2.tl-headline'),
            quote: part('.tl-text-content li')};
}"""


@pytest.fixture
def app(backend: str, tmp_path: Path) -> Iterator[Flask]:
    """The seeded app, told that its API lives at localhost while the page is at 127.0.0.1."""
    port = free_port()
    for app in make_app(backend, tmp_path, seeded=True, LIVESERVER_PORT=port,
                        EMBED_API_URL=f"http://localhost:{port}"):
        require(("TimelineJS (npm install @knight-lab/timelinejs)",
                 Path(app.config["TIMELINEJS_DIR"], "js", "timeline.js").is_file()))
        with app.app_context():
            dispose_engines()  # the server process must not share the test's connections
        yield app


def test_embed_page_renders_every_event_in_chromium(app: Flask, live_server, browser) -> None:
    with app.app_context():  # with context=1, every event
        expected = db.session.scalar(select(func.count()).select_from(Event))
        db.session.remove()
    port = live_server.port
    page_origin, api_origin = f"http://127.0.0.1:{port}", f"http://localhost:{port}"
    outside, data_responses = [], []

    def only_this_server(route, request) -> None:  # nothing may come from the internet
        if urlsplit(request.url).port == port and urlsplit(request.url).hostname in (
            "127.0.0.1", "localhost"
        ):
            route.continue_()
        else:
            outside.append(request.url)
            route.abort()

    page, errors = new_page(browser, DESK)
    page.on("requestfailed", lambda r: errors.append(f"{r.url}: {r.failure}"))
    page.on("response", lambda r: "/timelinejs" in r.url and "/embed/" not in r.url
            and data_responses.append(r))
    page.route("**/*", only_this_server)
    page.goto(f"{page_origin}/embed/the-challenge?context=1", wait_until="load")
    # TimelineJS is done when every marker is drawn, or when it shows an error
    # (a CORS failure appears as a "spreadsheet" error, bad dates only on the page).
    page.wait_for_function(
        """n => document.querySelectorAll('.tl-timenav .tl-timemarker').length >= n
               || !/^Loading/.test(document.querySelector('.tl-message-full')
                                           ?.innerText ?? 'Loading')""",
        arg=expected, timeout=TIMEOUT_MS,
    )
    messages = page.locator(".tl-message-full").all_inner_texts()
    assert not [m for m in messages if not m.startswith("Loading")], messages
    assert page.locator(".tl-timenav .tl-timemarker").count() == expected
    assert page.locator(".tl-slide-titleslide .tl-headline").first.inner_text().startswith(
        "The Challenge"
    )
    # The launch's marker shows where its title differs from the docking's.
    assert "MS-19 lifts off" in page.locator(".tl-timenav").inner_text()

    assert not errors, errors
    assert not outside, outside
    assert len(data_responses) == 1
    data = data_responses[0]
    assert data.url.startswith(api_origin) and data.status == 200
    assert data.request.headers["origin"] == page_origin  # a cross-origin read, allowed by CORS


def _settled(page, script: str, arg: object = None) -> object:
    """What ``script`` reads of the page once TimelineJS has stopped moving things (it
    animates markers and slides into place): the same twice, 400 ms apart."""
    last, deadline = None, time.monotonic() + TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        now = page.evaluate(script, arg)
        if now and now == last:
            return now
        last = now
        page.wait_for_timeout(400)
    raise AssertionError(f"never settled: {last}")


def _settled_markers(page) -> list[dict]:
    page.wait_for_function("() => window.timeline && window.timeline.ready", timeout=TIMEOUT_MS)
    return _settled(page, MARKERS_JS)


def _overlapping(boxes: list[dict], others: list[dict] | None = None) -> list[tuple[str, str]]:
    """The pairs of boxes drawn over each other: among ``boxes``, or one of ``boxes`` over
    one of ``others``."""
    pairs = ([(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:]] if others is None
             else [(a, b) for a in boxes for b in others])
    return [(a["id"], b["id"]) for a, b in pairs
            if a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"]
            and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"]]


def _dismiss_swipe_hint(page) -> None:
    """On a touch screen TimelineJS lays "Swipe to Navigate / OK" over the first slide;
    a reader taps it away."""
    hint = page.locator(".tl-storyslider .tl-message-full")
    if hint.count() and hint.is_visible():
        hint.click()
        hint.wait_for(state="hidden", timeout=TIMEOUT_MS)


@on_a_desk_and_a_phone
def test_embed_page_reads_on_a_desk_and_a_phone(
    app: Flask, live_server, browser, tmp_path: Path, device: dict
) -> None:
    page, errors = new_page(browser, device)
    page.goto(f"http://127.0.0.1:{live_server.port}/embed/the-challenge", wait_until="load")
    markers = _settled_markers(page)
    _dismiss_swipe_hint(page)
    slide = _settled(page, SLIDE_JS, "soyuz-ms-19-launch")
    screenshot(page, tmp_path, f"embed-{width(device)}")
    assert not errors, errors  # TimelineJS's touch handlers included, on the phone

    # The key event's slide: its date, headline and first quote whole, in view.
    assert page.evaluate("window.timeline.current_id") == "soyuz-ms-19-launch"
    assert slide["headline"]["text"] == "Soyuz MS-19 lifts off with the film crew"
    quote = slide["quote"]["text"]  # the quote (its marks are drawn by CSS) and its source
    assert quote.startswith("Russian actress Yulia") and quote.endswith(", Euronews"), quote
    assert all(part["in_view"] for part in slide.values()), slide

    # The markers around it: each readable, none over another, none reading like another.
    size = device["viewport"]
    on_screen = [m for m in markers if m["x"] + m["w"] > 0 and m["x"] < size["width"]
                 and m["y"] < size["height"]]
    ids = {m["id"] for m in on_screen}
    assert {"soyuz-ms-19-launch", "soyuz-ms-19-docking", "pre-launch-press-conference"} <= ids
    assert len(on_screen) >= 8  # the launch's neighbours are there on first view
    assert not _overlapping(on_screen)
    assert not [m for m in on_screen if m["w"] < 90]  # markers, not stubs
    seen = [m["seen"] for m in page.evaluate(MARKERS_JS) if m["id"] in ids]
    assert len(set(seen)) == len(seen) and min(map(len, seen)) >= 5, seen
    assert "gagarin-first-human-spaceflight" not in {m["id"] for m in markers}  # context off

    # The zoom and navigation buttons cover no marker and no group's label.
    buttons = page.evaluate(BOXES_JS, ".tl-menubar-button")
    labels = page.evaluate(BOXES_JS, ".tl-timegroup-message")
    assert len(buttons) == 4 and len(labels) == 3  # occurred, speculative, planned
    assert not _overlapping(buttons, on_screen + labels)


def _message(page) -> str:
    message = page.locator("#message")
    message.wait_for(state="visible", timeout=TIMEOUT_MS)
    assert page.locator(".tl-timenav").count() == 0  # no TimelineJS error screen either
    return message.inner_text()


def test_embed_page_says_why_there_is_no_timeline(
    app: Flask, live_server, browser, tmp_path: Path
) -> None:
    origin = f"http://127.0.0.1:{live_server.port}"
    page, _ = new_page(browser, PHONE)
    page.goto(f"{origin}/embed/the-challenge?status=cancelled", wait_until="load")
    assert _message(page).startswith("No events match these filters.")
    screenshot(page, tmp_path, "embed-empty")
    page.get_by_text("Show the whole timeline").click()
    _settled_markers(page)

    page.goto(f"{origin}/embed/the-challenge?group=colour", wait_until="load")
    assert "Query parameter 'group'" in _message(page)
    screenshot(page, tmp_path, "embed-bad-parameter")

    page.route("**/timelinejs?*", lambda route: route.fulfill(
        status=503, content_type="application/problem+json",
        body='{"title": "Service Unavailable", "status": 503, '
             '"detail": "The database is unreachable; try again shortly."}'))
    page.goto(f"{origin}/embed/the-challenge?type=launch", wait_until="load")
    assert _message(page).startswith("The database is unreachable")
    screenshot(page, tmp_path, "embed-api-error")


@on_a_desk_and_a_phone
def test_index_reads_on_a_desk_and_a_phone(
    app: Flask, live_server, browser, tmp_path: Path, device: dict
) -> None:
    page, errors = new_page(browser, device)
    page.on("response", lambda r: r.status >= 400 and errors.append(f"{r.url}: {r.status}"))
    response = page.goto(f"http://127.0.0.1:{live_server.port}/", wait_until="load")
    assert response.headers["content-type"].startswith("text/html")
    assert page.locator("h1").inner_text() == "Mission Timeline API"
    frame = next(f for f in page.frames if "/embed/the-challenge" in f.url)
    markers = _settled_markers(frame)
    screenshot(page, tmp_path, f"index-{width(device)}")
    assert not errors, errors  # the embedded page's too
    assert len(markers) >= 15 and frame.evaluate("window.timeline.current_id") == (
        "soyuz-ms-19-launch")
    assert page.get_by_role("link", name="Documentation").get_attribute("href").endswith("/docs")
    # The snippet to paste elsewhere names the embed by an absolute URL.
    snippet = page.locator("code", has_text="<iframe").inner_text()
    assert re.search(r'src="http://[^/"]+:\d+/embed/the-challenge"', snippet), snippet
    assert page.evaluate("document.documentElement.scrollWidth") <= width(device)
