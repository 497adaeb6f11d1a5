"""Fixtures: every database test runs on SQLite and, when TEST_POSTGRES_URL is set, PostgreSQL.

Each app gets a database of its own: a fresh SQLite file, or a fresh PostgreSQL schema
(selected through ``search_path``), so tests never see each other's rows.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner
from flask_migrate import upgrade

from api import create_app
from api.cli.seed import DEFAULT_DIR, load_seeds
from api.extensions import db

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])
SHARED_SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


def _postgres_schema() -> tuple[str, Callable[[], None]]:
    """A new empty schema in the test database, and how to drop it."""
    from api.config import database_url

    name = "t_" + uuid.uuid4().hex[:12]
    admin = sa.create_engine(database_url(POSTGRES_URL), poolclass=sa.pool.NullPool)
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {name}"))
    url = sa.make_url(database_url(POSTGRES_URL)).update_query_dict(
        {"options": f"-csearch_path={name}"}
    )

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {name} CASCADE"))
        admin.dispose()

    return url.render_as_string(hide_password=False), drop


def make_app(backend: str, tmp: Path, seeded: bool, **config: object) -> Iterator[Flask]:
    """An app on a new database with the schema migrated (and the seeds loaded)."""
    if backend == "postgresql":
        url, drop = _postgres_schema()
    else:
        url, drop = f"sqlite:///{tmp / 'test.sqlite'}", lambda: None
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, **config})
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        if seeded:
            load_seeds(DEFAULT_DIR)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    drop()


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
    from api.http.auth import create_token

    for app in make_app(backend, tmp_path, seeded=True):
        with app.app_context():
            app.config["WRITE_TOKEN"] = create_token("live-writer", "write")
            db.engine.dispose()  # the server process must not share the test's connections
        yield app


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    """A copy of seeds/ a test may edit."""
    target = tmp_path / "seeds"
    shutil.copytree(DEFAULT_DIR, target)
    return target


@pytest.fixture(scope="session")
def articles() -> Path:
    """The folder of source articles (../shared/seeds beside the checkout)."""
    folder = Path(os.environ.get("ARTICLES_DIR", SHARED_SEEDS))
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
    token = runner.invoke(args=["tokens", "create", "--name", "alice", "--scope", "write"])
    return {"Authorization": f"Bearer {token.output.strip()}"}


def new_event(**changes: Any) -> dict[str, Any]:
    """The body of a new event, valid against the seeded dataset, with ``changes``."""
    return {
        "id": "crew-medical-check", "mission": "the-challenge", "type": "training",
        "status": "occurred", "title": "Crew passes the medical check",
        "summary": "The film crew was cleared to fly.", "start": {"date": "2021-10-05"},
        "citations": [{"source": "004_ba6c03b084f54831", "quote": "Soyuz MS-19",
                       "supports": ["title"]}],
        **changes,
    }
