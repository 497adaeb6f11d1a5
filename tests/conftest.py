"""Fixtures: every database test runs on SQLite and, when TEST_POSTGRES_URL is set, PostgreSQL.

Each app gets a database of its own: a fresh SQLite file, or a fresh PostgreSQL schema
(selected through ``search_path``), so tests never see each other's rows.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner
from flask_migrate import upgrade

from api import create_app
from api.cli.seed import DEFAULT_DIR, load_seeds
from api.extensions import db, dispose_engines, engines

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])
SHARED_SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


def skip_unless_postgresql(what: str) -> None:
    """Skip a PostgreSQL-only test, saying why: on the SQLite run of a suite that has
    PostgreSQL too, or because TEST_POSTGRES_URL is not set."""
    pytest.skip(f"{what}: PostgreSQL only; this is the SQLite run" if POSTGRES_URL
                else f"{what}: needs PostgreSQL (set TEST_POSTGRES_URL)")


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


def _postgres_url(schema: str) -> str:
    """The test database's URL with ``schema`` as the only search path."""
    from api.config import database_url

    url = sa.make_url(database_url(POSTGRES_URL)).update_query_dict(
        {"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def _postgres_admin() -> sa.Engine:
    from api.config import database_url

    return sa.create_engine(database_url(POSTGRES_URL), poolclass=sa.pool.NullPool)


def _postgres_schema(script: str | None) -> tuple[str, Callable[[], None]]:
    """A new schema in the test database, empty or made by ``script`` (a dump of a
    template schema, its name as ``TEMPLATE``), its URL, and how to drop it."""
    name = "t_" + uuid.uuid4().hex[:12]
    admin = _postgres_admin()
    with admin.begin() as conn:
        if script is None:
            conn.execute(sa.text(f"CREATE SCHEMA {name}"))
        else:
            conn.exec_driver_sql(script.replace(TEMPLATE, name))

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {name} CASCADE"))
        admin.dispose()

    return _postgres_url(name), drop


# Migrating (and seeding) a database takes a second or more, and nearly every test needs
# one: each kind is made once per run, by the migrations, then copied for every app (a
# SQLite file copied; a PostgreSQL schema replayed from its pg_dump, with the template's
# name replaced). Without pg_dump, each PostgreSQL app is migrated as before.
TEMPLATE = "tmpl_" + uuid.uuid4().hex[:12]
_TEMPLATES: dict[tuple[str, bool], Path | str | None] = {}
_TEMPLATE_DIR = Path(tempfile.mkdtemp(prefix="timeline-templates-"))


def _prepare(url: str, seeded: bool) -> None:
    """Migrate the database at ``url`` with Alembic (and load the seeds)."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        if seeded:
            load_seeds(DEFAULT_DIR)
        db.session.remove()
        dispose_engines()


def _template(backend: str, seeded: bool) -> Path | str | None:
    """The template for apps of ``backend``: a SQLite file, a PostgreSQL dump (SQL), or
    None where there is no pg_dump."""
    key = (backend, seeded)
    if key in _TEMPLATES:
        return _TEMPLATES[key]
    if backend == "sqlite":
        path = _TEMPLATE_DIR / f"{'seeded' if seeded else 'empty'}.sqlite"
        _prepare(f"sqlite:///{path}", seeded)
        _TEMPLATES[key] = path
    elif shutil.which("pg_dump") is None:
        _TEMPLATES[key] = None
    else:
        url, drop = _postgres_schema(None)
        _prepare(url, seeded)
        schema = sa.make_url(url).query["options"].split("=")[1]
        dump = subprocess.run(
            ["pg_dump", "--schema", schema, "--no-owner", "--no-privileges",
             "--rows-per-insert=500", _libpq_url(POSTGRES_URL)],
            capture_output=True, text=True, check=True).stdout
        drop()
        # psql meta-commands (\restrict, in newer pg_dumps) are not SQL
        _TEMPLATES[key] = "\n".join(line for line in dump.splitlines()
                                     if not line.startswith("\\")).replace(schema, TEMPLATE)
    return _TEMPLATES[key]


def _libpq_url(url: str) -> str:
    """A SQLAlchemy URL as libpq takes it (no ``+driver``)."""
    return sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session", autouse=True)
def _remove_templates() -> Iterator[None]:
    yield
    shutil.rmtree(_TEMPLATE_DIR, ignore_errors=True)


def make_app(backend: str, tmp: Path, seeded: bool, **config: object) -> Iterator[Flask]:
    """An app on a new database with the schema migrated (and the seeds loaded): a copy
    of the run's template of that kind."""
    template = _template(backend, seeded)
    if backend == "postgresql":
        url, drop = _postgres_schema(template if isinstance(template, str) else None)
        if template is None:
            _prepare(url, seeded)
    else:
        url, drop = f"sqlite:///{tmp / 'test.sqlite'}", lambda: None
        shutil.copyfile(template, tmp / "test.sqlite")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, **config})
    yield app
    with app.app_context():
        db.session.remove()
        dispose_engines()
    drop()


@contextmanager
def statements_run(app: Flask) -> Iterator[list[tuple[str, Any]]]:
    """The SQL statements (with their parameters) ``app`` runs meanwhile, on any of its
    engines (on PostgreSQL, reads run on the reading engine: api.extensions)."""
    seen: list[tuple[str, Any]] = []

    def listener(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    with app.app_context():
        watched = engines()
    for engine in watched:
        sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        for engine in watched:
            sa.event.remove(engine, "before_cursor_execute", listener)


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
            dispose_engines()  # the server process must not share the test's connections
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


def make_token(app: Flask, name: str, scope: str = "write") -> str:
    """A new API token of ``scope`` for ``name``, made with ``flask tokens create``."""
    result = app.test_cli_runner().invoke(
        args=["tokens", "create", "--name", name, "--scope", scope])
    assert result.exit_code == 0, result.output
    return result.output.strip()


@pytest.fixture
def writer(app: Flask, runner: FlaskCliRunner) -> dict[str, str]:
    """The dataset seeded (without source texts, so quotes are not checked), and the
    Authorization header of a curator's write token."""
    app.config["ARTICLES_DIR"] = ""  # `flask seed` would load them from ../shared/seeds
    assert runner.invoke(args=["seed"]).exit_code == 0
    return {"Authorization": f"Bearer {make_token(app, 'alice')}"}


@pytest.fixture
def curated(app: Flask, articles: Path) -> Flask:
    """The dataset with its source texts loaded (so quotes are checked)."""
    with app.app_context():
        load_seeds(DEFAULT_DIR, str(articles))
    return app


@pytest.fixture
def alice(curated: Flask) -> dict[str, str]:
    """The Authorization header of a curator's write token on the ``curated`` app."""
    return {"Authorization": f"Bearer {make_token(curated, 'alice')}"}


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
