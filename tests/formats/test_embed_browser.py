"""End to end: the embed page renders the timeline in a real headless Chromium.

The page is served from http://127.0.0.1:PORT and reads its data from http://localhost:PORT,
another origin, so the browser really applies CORS. Needs Debian's `chromium` and the npm
package `@knight-lab/timelinejs` (both installed by .ci/run): outside CI the test is
skipped without them; in CI (env CI set) their absence is a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import make_app
from flask import Flask
from sqlalchemy import func, select

from api.extensions import db
from api.models import Event

pytestmark = pytest.mark.slow

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 20_000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def app(backend: str, tmp_path: Path) -> Iterator[Flask]:
    """The seeded app, told that its API lives at localhost while the page is at 127.0.0.1."""
    port = _free_port()
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
            db.engine.dispose()  # the server process must not share the test's connections
        yield app


def test_embed_page_renders_every_event_in_chromium(app: Flask, live_server) -> None:
    from playwright.sync_api import sync_playwright

    with app.app_context():
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
            page.goto(f"{page_origin}/embed/the-challenge", wait_until="load")
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
