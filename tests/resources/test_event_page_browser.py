"""The event page in a real headless Chromium, on a desk and on a phone
(tests/chromium.py): no console errors under the CSP (the JSON-LD is data, never run),
nothing wider than the screen, the title and a quote in view. Screenshots go to
SCREENSHOT_DIR (default: the test's tmp folder). Needs Debian's `chromium` (installed by
.ci/run): skipped without it outside CI, a failure in CI. The index page's browser test is
in tests/formats/test_embed_browser.py, since it embeds the timeline."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from chromium import new_page, on_a_desk_and_a_phone, require, screenshot, width
from flask import Flask

from api.cli.seed import DEFAULT_DIR, load_seeds
from api.extensions import dispose_engines

pytestmark = pytest.mark.slow


@pytest.fixture
def app(live_writable_app: Flask, articles: Path) -> Iterator[Flask]:
    """The seeded app with the articles' texts, as `make run` has it: quotes verified."""
    require()
    with live_writable_app.app_context():
        load_seeds(DEFAULT_DIR, str(articles))
        dispose_engines()
    yield live_writable_app


@on_a_desk_and_a_phone
def test_the_event_page_reads_on_a_desk_and_a_phone(app: Flask, live_server, browser,
                                                     tmp_path: Path, device: dict) -> None:
    page, errors = new_page(browser, device)
    page.on("response", lambda r: r.status >= 400 and errors.append(f"{r.url}: {r.status}"))
    page.goto(live_server.url("/v1/events/soyuz-ms-19-launch"), wait_until="load")
    screenshot(page, tmp_path, f"event-{width(device)}")
    assert not errors, errors
    assert page.evaluate("document.documentElement.scrollWidth") <= width(device)
    title = page.locator("h1")
    assert title.inner_text().startswith("Soyuz MS-19") and title.is_visible()
    quote = page.locator(".citation blockquote").first
    quote.scroll_into_view_if_needed()
    box = quote.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= width(device)
    assert "quote verified in the article's text" in page.locator(
        ".citation figcaption").first.inner_text()
    ld = page.evaluate(
        "JSON.parse(document.querySelector('script[type=\"application/ld+json\"]').text)")
    assert ld["@graph"][0]["name"] == title.inner_text()
