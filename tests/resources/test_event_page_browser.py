"""The event page and the index in a real headless Chromium, on a desk and on a phone:
no console errors under the CSP (the JSON-LD is data, never run), nothing wider than the
screen, the title and a quote in view; the index's embed snippet is an absolute URL.
Screenshots go to SCREENSHOT_DIR (default: the test's tmp folder). Needs Debian's
`chromium` and, for the index's embedded timeline, the npm package
`@knight-lab/timelinejs` (both installed by .ci/run): skipped without chromium outside
CI, a failure in CI."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from api.extensions import dispose_engines

pytestmark = pytest.mark.slow

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DESK, PHONE = {"width": 1280, "height": 800}, {"width": 390, "height": 844}


@pytest.fixture
def app(live_writable_app: Flask) -> Iterator[Flask]:
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"chromium ({CHROMIUM}) is missing; .ci/run installs it")
        pytest.skip(f"chromium ({CHROMIUM}) is not installed")
    with live_writable_app.app_context():
        dispose_engines()
    yield live_writable_app


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


def _open(browser, url: str, viewport: dict, shot: Path):
    page = browser.new_page(viewport=viewport)
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: r.status >= 400 and errors.append(f"{r.url}: {r.status}"))
    page.goto(url, wait_until="load")
    page.screenshot(path=str(shot), full_page=False)
    return page, errors


@pytest.mark.parametrize("viewport", [DESK, PHONE], ids=["desk", "phone"])
def test_the_event_page_reads_on_a_desk_and_a_phone(app: Flask, live_server, browser,
                                                     tmp_path: Path, viewport: dict) -> None:
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    url = live_server.url("/v1/events/soyuz-ms-19-launch")
    page, errors = _open(browser, url, viewport, folder / f"event-{viewport['width']}.png")
    assert not errors, errors
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    title = page.locator("h1")
    assert title.inner_text().startswith("Soyuz MS-19") and title.is_visible()
    quote = page.locator(".citation blockquote").first
    quote.scroll_into_view_if_needed()
    box = quote.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
    ld = page.evaluate(
        "JSON.parse(document.querySelector('script[type=\"application/ld+json\"]').text)")
    assert ld["@graph"][0]["name"] == title.inner_text()


@pytest.mark.parametrize("viewport", [DESK, PHONE], ids=["desk", "phone"])
def test_the_index_reads_on_a_desk_and_a_phone(app: Flask, live_server, browser,
                                               tmp_path: Path, viewport: dict) -> None:
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page, errors = _open(browser, live_server.url("/"), viewport,
                         folder / f"index-{viewport['width']}.png")
    assert not errors, errors
    snippet = page.locator("code", has_text="<iframe").inner_text()
    assert re.search(r'src="http://[^/"]+:\d+/embed/the-challenge"', snippet), snippet
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
