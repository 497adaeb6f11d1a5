"""Fixtures: every database test runs on SQLite and, when TEST_POSTGRES_URL is set, PostgreSQL.

Fixtures only, used by naming them; what tests import (apps on databases of their own,
tokens, the problem+json check, ...) is in support.py.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from support import BACKENDS, ROOT, TEMPLATE_DIR, bearer, make_app, secret

from api.cli.seed import DEFAULT_DIR, load_seeds
from api.extensions import dispose_engines


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session", autouse=True)
def _remove_templates() -> Iterator[None]:
    yield
    shutil.rmtree(TEMPLATE_DIR, ignore_errors=True)


@pytest.fixture
def app(backend: str, tmp_path: Path) -> Iterator[Flask]:
    """An app on an empty, migrated database."""
    yield from make_app(backend, tmp_path, seeded=False)


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """Runs the app's CLI commands, like ``flask --app api ...``."""
    return app.test_cli_runner()


@pytest.fixture(scope="module")
def seeded_app(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app on a database holding the curated dataset; read-only tests share it."""
    yield from make_app(backend, tmp_path_factory.mktemp("seeded"), seeded=True)


@pytest.fixture
def live_writable_app(backend: str, tmp_path: Path) -> Iterator[Flask]:
    """A seeded app of its own (the test writes) with a write token in ``WRITE_TOKEN``,
    ready for pytest-flask's ``live_server``."""
    for app in make_app(backend, tmp_path, seeded=True):
        app.config["WRITE_TOKEN"] = secret(bearer(app, "live-writer"))
        with app.app_context():
            dispose_engines()  # the server process must not share the test's connections
        yield app


@pytest.fixture
def browser() -> Iterator[Any]:
    """A headless chromium for a browser test (tests/chromium.py), whose app fixture has
    called ``chromium.require``."""
    from chromium import launched

    with launched() as browser:
        yield browser


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    """A copy of seeds/ a test may edit."""
    target = tmp_path / "seeds"
    shutil.copytree(DEFAULT_DIR, target)
    return target


@pytest.fixture(scope="session")
def articles() -> Path:
    """The folder of source articles (../shared/seeds beside the checkout)."""
    folder = Path(os.environ.get("ARTICLES_DIR", ROOT.parent / "shared" / "seeds"))
    if not folder.is_dir():
        pytest.fail(
            f"The source articles are missing: expected {folder} (the shared/seeds folder "
            "beside this checkout), or set ARTICLES_DIR to their folder."
        )
    return folder


@pytest.fixture
def writer(app: Flask, runner: FlaskCliRunner) -> dict[str, str]:
    """The dataset seeded (without source texts, so quotes are not checked), and the
    Authorization header of a curator's write token."""
    app.config["ARTICLES_DIR"] = ""  # `flask seed` would load them from ../shared/seeds
    assert runner.invoke(args=["seed"]).exit_code == 0
    return bearer(app)


@pytest.fixture
def curated(app: Flask, articles: Path) -> Flask:
    """The dataset with its source texts loaded (so quotes are checked)."""
    with app.app_context():
        load_seeds(DEFAULT_DIR, str(articles))
    return app


@pytest.fixture
def alice(curated: Flask) -> dict[str, str]:
    """The Authorization header of a curator's write token on the ``curated`` app."""
    return bearer(curated)
