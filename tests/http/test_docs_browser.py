"""The docs page works under its Content-Security-Policy, in a real headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from chromium import DESK, new_page, require
from flask import Flask
from support import make_app

pytestmark = pytest.mark.slow


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    require()
    yield from make_app("sqlite", tmp_path, seeded=False)


def test_swagger_ui_renders_every_operation_without_csp_violations(
    app: Flask, live_server, browser
) -> None:
    page, errors = new_page(browser, DESK)  # a CSP violation is a console error
    page.on("response", lambda r: r.status >= 400 and errors.append(f"{r.url}: {r.status}"))
    page.goto(f"http://127.0.0.1:{live_server.port}/docs", wait_until="load")
    page.wait_for_selector(".opblock", timeout=20_000)
    operations = page.locator(".opblock").count()
    title = page.locator(".info .title").first.inner_text()
    assert not errors, errors
    assert title.startswith("Mission Timeline API")
    assert operations >= 10
