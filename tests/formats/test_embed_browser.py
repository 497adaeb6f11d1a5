"""End to end: the embed page renders the timeline in a real headless Chromium.

It opens on the mission's launch with no marker over another (on a desk and on a phone),
shows a readable message for an empty result, a bad parameter or a failing API, and the
index page embeds it. Screenshots go to SCREENSHOT_DIR (default: the test's tmp folder).

The page is served from http://127.0.0.1:PORT and reads its data from http://localhost:PORT,
another origin, so the browser really applies CORS. Needs Debian's `chromium` and the npm
package `@knight-lab/timelinejs` (both installed by .ci/run): outside CI the test is
skipped without them; in CI (env CI set) their absence is a failure.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import func, select
from support import free_port, make_app

from api.extensions import db, dispose_engines
from api.models import Event

pytestmark = pytest.mark.slow

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 20_000
DESK, PHONE = {"width": 1000, "height": 650}, {"width": 390, "height": 800}
# Each marker of the timeline's navigation: its event and where it is drawn.
MARKERS_JS = """() => [...document.querySelectorAll('.tl-timenav .tl-timemarker')].map(m => {
    const r = m.querySelector('.tl-timemarker-content-container').getBoundingClientRect();
    return {id: m.id.replace(/-marker$/, ''), x: r.left, y: r.top, w: r.width, h: r.height};
})"""


@pytest.fixture
def app(backend: str, tmp_path: Path) -> Iterator[Flask]:
    """The seeded app, told that its API lives at localhost while the page is at 127.0.0.1."""
    port = free_port()
    for app in make_app(backend, tmp_path, seeded=True, LIVESERVER_PORT=port,
                        EMBED_API_URL=f"http://localhost:{port}"):
        missing = [what for what, present in (
            (f"chromium ({CHROMIUM})", shutil.which(CHROMIUM)),
            ("TimelineJS (npm install @knight-lab/timelinejs)",
             Path(app.config["TIMELINEJS_DIR"], "js", "timeline.js").is_file()),
        ) if not present]
        if missing:
            reason = "missing " + " and ".join(missing) + "; .ci/run installs them"
            if os.environ.get("CI"):
                pytest.fail(reason)
            pytest.skip(reason)
        with app.app_context():
            dispose_engines()  # the server process must not share the test's connections
        yield app


def test_embed_page_renders_every_event_in_chromium(app: Flask, live_server) -> None:
    from playwright.sync_api import sync_playwright

    with app.app_context():  # with context=1, every event
        expected = db.session.scalar(select(func.count()).select_from(Event))
        db.session.remove()
    port = live_server.port
    page_origin, api_origin = f"http://127.0.0.1:{port}", f"http://localhost:{port}"
    errors, outside, data_responses = [], [], []

    def only_this_server(route, request) -> None:  # nothing may come from the internet
        if urlsplit(request.url).port == port and urlsplit(request.url).hostname in (
            "127.0.0.1", "localhost"
        ):
            route.continue_()
        else:
            outside.append(request.url)
            route.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page()
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            page.on("pageerror", lambda e: errors.append(str(e)))
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
            markers = page.locator(".tl-timenav .tl-timemarker")
            assert markers.count() == expected
            assert page.locator(".tl-slide-titleslide .tl-headline").first.inner_text().startswith(
                "The Challenge"
            )
            assert "Soyuz MS-19 lifts off" in page.locator(".tl-timenav").inner_text()
        finally:
            browser.close()

    assert not errors, errors
    assert not outside, outside
    assert len(data_responses) == 1
    data = data_responses[0]
    assert data.url.startswith(api_origin) and data.status == 200
    assert data.request.headers["origin"] == page_origin  # a cross-origin read, allowed by CORS


def _screenshot(page, tmp_path: Path, name: str) -> None:
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"))


def _settled_markers(page) -> list[dict]:
    """The markers once TimelineJS has stopped moving them (it animates them into place)."""
    page.wait_for_function("() => window.timeline && window.timeline.ready", timeout=TIMEOUT_MS)
    last, deadline = None, time.monotonic() + TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        markers = page.evaluate(MARKERS_JS)
        if markers and markers == last:
            return markers
        last = markers
        page.wait_for_timeout(400)
    raise AssertionError("the timeline's markers never settled")


def _overlapping(boxes: list[dict]) -> list[tuple[str, str]]:
    return [(a["id"], b["id"]) for i, a in enumerate(boxes) for b in boxes[i + 1:]
            if a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"]
            and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"]]


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.mark.parametrize("viewport", [DESK, PHONE], ids=["desk", "phone"])
def test_embed_page_opens_on_the_launch_with_no_marker_over_another(
    app: Flask, live_server, browser, tmp_path: Path, viewport: dict
) -> None:
    page = browser.new_page(viewport=viewport)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"http://127.0.0.1:{live_server.port}/embed/the-challenge", wait_until="load")
    markers = _settled_markers(page)
    _screenshot(page, tmp_path, f"embed-{viewport['width']}")
    assert page.evaluate("window.timeline.current_id") == "soyuz-ms-19-launch"
    slide = page.locator(".tl-slide#soyuz-ms-19-launch .tl-headline").first
    assert slide.is_visible() and slide.inner_text().startswith("Soyuz MS-19 lifts off")
    assert 0 <= slide.bounding_box()["x"] < viewport["width"]
    on_screen = [m for m in markers if m["x"] + m["w"] > 0 and m["x"] < viewport["width"]
                 and m["y"] < viewport["height"]]
    ids = {m["id"] for m in on_screen}
    assert {"soyuz-ms-19-launch", "soyuz-ms-19-docking", "pre-launch-press-conference"} <= ids
    assert len(on_screen) >= 8  # the launch's neighbours are there on first view
    assert not _overlapping(on_screen)
    assert not [m for m in on_screen if m["w"] < 90]  # markers, not stubs
    assert "gagarin-first-human-spaceflight" not in {m["id"] for m in markers}  # context off
    assert not errors, errors


def _message(page) -> str:
    message = page.locator("#message")
    message.wait_for(state="visible", timeout=TIMEOUT_MS)
    assert page.locator(".tl-timenav").count() == 0  # no TimelineJS error screen either
    return message.inner_text()


def test_embed_page_says_why_there_is_no_timeline(
    app: Flask, live_server, browser, tmp_path: Path
) -> None:
    origin = f"http://127.0.0.1:{live_server.port}"
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{origin}/embed/the-challenge?status=cancelled", wait_until="load")
    assert _message(page).startswith("No events match these filters.")
    _screenshot(page, tmp_path, "embed-empty")
    page.get_by_text("Show the whole timeline").click()
    _settled_markers(page)

    page.goto(f"{origin}/embed/the-challenge?group=colour", wait_until="load")
    assert "Query parameter 'group'" in _message(page)
    _screenshot(page, tmp_path, "embed-bad-parameter")

    page.route("**/timelinejs?*", lambda route: route.fulfill(
        status=503, content_type="application/problem+json",
        body='{"title": "Service Unavailable", "status": 503, '
             '"detail": "The database is unreachable; try again shortly."}'))
    page.goto(f"{origin}/embed/the-challenge?type=launch", wait_until="load")
    assert _message(page).startswith("The database is unreachable")
    _screenshot(page, tmp_path, "embed-api-error")


def test_index_page_embeds_the_timeline(app: Flask, live_server, browser, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))  # CSP too
    page.on("pageerror", lambda e: errors.append(str(e)))
    response = page.goto(f"http://127.0.0.1:{live_server.port}/", wait_until="load")
    assert response.headers["content-type"].startswith("text/html")
    assert page.locator("h1").inner_text() == "Mission Timeline API"
    frame = next(f for f in page.frames if "/embed/the-challenge" in f.url)
    markers = _settled_markers(frame)
    _screenshot(page, tmp_path, "index")
    assert len(markers) >= 15 and frame.evaluate("window.timeline.current_id") == (
        "soyuz-ms-19-launch")
    assert page.get_by_role("link", name="Documentation").get_attribute("href").endswith("/docs")
    assert not errors, errors
