"""The docs page works under its Content-Security-Policy, in a real headless Chromium."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from support import make_app

pytestmark = pytest.mark.slow

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"chromium ({CHROMIUM}) is missing; .ci/run installs it")
        pytest.skip(f"chromium ({CHROMIUM}) is not installed")
    yield from make_app("sqlite", tmp_path, seeded=False)


def test_swagger_ui_renders_every_operation_without_csp_violations(
    app: Flask, live_server
) -> None:
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page()
            # Chromium reports a CSP violation as a console error naming the policy.
            page.on("console", lambda m: m.type == "error" and "Failed to load resource"
                    not in m.text and errors.append(m.text))
            page.on("response", lambda r: r.status >= 400 and not r.url.endswith(
                "/favicon.ico") and errors.append(f"{r.url}: {r.status}"))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"http://127.0.0.1:{live_server.port}/docs", wait_until="load")
            page.wait_for_selector(".opblock", timeout=20_000)
            operations = page.locator(".opblock").count()
            title = page.locator(".info .title").first.inner_text()
        finally:
            browser.close()
    assert not errors, errors
    assert title.startswith("Mission Timeline API")
    assert operations >= 10
