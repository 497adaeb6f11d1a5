"""What the browser tests share: Debian's chromium driven by Playwright (never a downloaded
browser), a desk and a phone, a page that records its console errors, and screenshots.

Outside CI a missing chromium (or TimelineJS) skips a browser test; in CI (env ``CI`` set)
it fails it. Screenshots go to SCREENSHOT_DIR, else to the test's tmp folder; how the
ones checked in under docs/screenshots are refreshed is in docs/testing.md.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# A browser window on a desk, and a phone as Chromium emulates one: touch events and
# window.orientation, so pages (TimelineJS among them) take their mobile ways, at scale 1
# so that the screenshots stay small.
DESK: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}}
PHONE: dict[str, Any] = {"viewport": {"width": 390, "height": 844}, "is_mobile": True,
                         "has_touch": True}
on_a_desk_and_a_phone = pytest.mark.parametrize("device", [DESK, PHONE], ids=["desk", "phone"])


def require(*needs: tuple[str, bool]) -> None:
    """Skip (fail in CI) unless chromium and each of ``needs`` (what, present) is there."""
    missing = [what for what, present in ((f"chromium ({CHROMIUM})", shutil.which(CHROMIUM)),
                                          *needs) if not present]
    if missing:
        reason = "missing " + " and ".join(missing) + "; .ci/run installs them"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


@contextmanager
def launched() -> Iterator[Any]:
    """A headless chromium, closed at the end."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser: Any, device: dict[str, Any]) -> tuple[Any, list[str]]:
    """A page on ``device`` and the list its console errors and uncaught exceptions go to
    (Chromium reports a Content-Security-Policy violation as a console error)."""
    page = browser.new_context(**device).new_page()
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page, errors


def screenshot(page: Any, tmp_path: Path, name: str) -> None:
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"))


def width(device: dict[str, Any]) -> int:
    return device["viewport"]["width"]
