"""What tests share besides fixtures (those are in conftest.py): apps on databases of their
own, the seeded dataset's size, a new event's body, a token, a problem+json check, a free
port. Tests import it as ``support`` (tests/ is on the path, as conftest.py's folder).

Each app gets a database of its own: a fresh SQLite file, or a fresh PostgreSQL schema
(selected through ``search_path``), so tests never see each other's rows.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from flask import Flask
from flask_migrate import upgrade

from api import create_app
from api.cli.seed import DEFAULT_DIR, load_seeds
from api.extensions import db, dispose_engines, engines

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "deploy"))  # deploy/ holds scripts, not a package
from nginx import free_port  # noqa: E402,F401  (the one way to find a port, bench/ too)

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])

# How many records of each kind seeds/ holds ({"events": ..., "people": ...}).
SEEDED = {path.stem: len(yaml.safe_load(path.read_text(encoding="utf-8")))
          for path in Path(DEFAULT_DIR).glob("*.yaml")}


def skip_unless_postgresql(what: str) -> None:
    """Skip a PostgreSQL-only test, saying why: on the SQLite run of a suite that has
    PostgreSQL too, or because TEST_POSTGRES_URL is not set."""
    pytest.skip(f"{what}: PostgreSQL only; this is the SQLite run" if POSTGRES_URL
                else f"{what}: needs PostgreSQL (set TEST_POSTGRES_URL)")


def require_program(program: str, packages: str) -> None:
    """Skip the test when ``program`` is not installed, or fail it in CI, whose .ci/run
    installs it (``apt-get install packages``)."""
    if shutil.which(program) or Path("/usr/sbin", program).exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{program} is missing in CI: .ci/run installs it (apt-get install {packages})")
    pytest.skip(f"{program} is not installed (apt-get install {packages})")


def at_once(calls: Sequence[Callable[[], Any]]) -> list[Any]:
    """Run each call in its own thread, all started before any is waited for (up to 30 s
    each); their results, None for a call that did not finish."""
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        results[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


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


def bearer(app: Flask, name: str = "alice", scope: str = "write") -> dict[str, str]:
    """The Authorization header of a new API token of ``scope`` for ``name``, made as a
    curator makes one: ``flask tokens create``."""
    result = app.test_cli_runner().invoke(
        args=["tokens", "create", "--name", name, "--scope", scope])
    assert result.exit_code == 0, result.output
    return {"Authorization": f"Bearer {result.output.strip()}"}


def secret(headers: dict[str, str]) -> str:
    """The token itself, from the header ``bearer`` made."""
    return headers["Authorization"].removeprefix("Bearer ")


def assert_problem(response: Any, status: int, *words: str,
                   field: str | None = None) -> dict[str, Any]:
    """``response`` (a test client's) is a problem+json of ``status`` whose detail says
    each of ``words`` and names ``field`` (as the API names one: quoted); returns it."""
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/problem+json", response.mimetype
    problem = response.get_json(force=True)
    assert problem["status"] == status and problem["title"], problem
    for word in (*words, *([f"'{field}'"] if field else [])):
        assert word in problem["detail"], problem["detail"]
    return problem


# Databases. Migrating (and seeding) a database takes a second or more, and nearly every
# test needs one: each kind is made once per run, by the migrations, then copied for every
# app (a SQLite file copied; a PostgreSQL schema replayed from its pg_dump, with the
# template's name replaced). Without pg_dump, each PostgreSQL app is migrated as before.
TEMPLATE = "tmpl_" + uuid.uuid4().hex[:12]
TEMPLATE_DIR = Path(tempfile.mkdtemp(prefix="timeline-templates-"))
_TEMPLATES: dict[tuple[str, bool], Path | str | None] = {}


def _postgres_url(schema: str) -> str:
    """The test database's URL with ``schema`` as the only search path."""
    from api.config import database_url

    url = sa.make_url(database_url(POSTGRES_URL)).update_query_dict(
        {"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def postgres_schema(script: str | None = None) -> tuple[str, Callable[[], None]]:
    """A new schema in the test database, empty or made by ``script`` (a dump of a
    template schema, its name as ``TEMPLATE``): its URL, and how to drop it."""
    from api.config import database_url

    name = "t_" + uuid.uuid4().hex[:12]
    admin = sa.create_engine(database_url(POSTGRES_URL), poolclass=sa.pool.NullPool)
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
        path = TEMPLATE_DIR / f"{'seeded' if seeded else 'empty'}.sqlite"
        _prepare(f"sqlite:///{path}", seeded)
        _TEMPLATES[key] = path
    elif shutil.which("pg_dump") is None:
        _TEMPLATES[key] = None
    else:
        url, drop = postgres_schema()
        _prepare(url, seeded)
        schema = sa.make_url(url).query["options"].split("=")[1]
        libpq = sa.make_url(POSTGRES_URL).set(drivername="postgresql")  # no +driver
        dump = subprocess.run(
            ["pg_dump", "--schema", schema, "--no-owner", "--no-privileges",
             "--rows-per-insert=500", libpq.render_as_string(hide_password=False)],
            capture_output=True, text=True, check=True).stdout
        drop()
        # psql meta-commands (\restrict, in newer pg_dumps) are not SQL
        _TEMPLATES[key] = "\n".join(line for line in dump.splitlines()
                                     if not line.startswith("\\")).replace(schema, TEMPLATE)
    return _TEMPLATES[key]


def make_app(backend: str, tmp: Path, seeded: bool, **config: object) -> Iterator[Flask]:
    """An app on a new database with the schema migrated (and the seeds loaded): a copy
    of the run's template of that kind. A generator: ``yield from`` it in a fixture."""
    template = _template(backend, seeded)
    if backend == "postgresql":
        url, drop = postgres_schema(template if isinstance(template, str) else None)
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
