"""Several instances booting at once on one empty database take turns: each migrates and
seeds under a lock (PostgreSQL's advisory lock, a file lock on SQLite), so none fails on
what another just created (boot.sh runs ``flask prepare``)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import SEEDED, postgres_schema

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def empty_database(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "postgresql":
        url, drop = postgres_schema(None)
        yield url
        drop()
    else:
        yield f"sqlite:///{tmp_path / 'first.sqlite'}"


def test_simultaneous_first_boots_all_succeed(empty_database: str, tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": empty_database, "ARTICLES_DIR": ""}
    flask = str(Path(sys.executable).with_name("flask"))
    boots = [subprocess.Popen([flask, "--app", "api", "prepare", "--seed"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for _ in range(3)]
    outputs = [boot.communicate(timeout=120)[0] for boot in boots]
    assert [boot.returncode for boot in boots] == [0, 0, 0], outputs
    created = [line for output in outputs for line in output.splitlines()
               if line.startswith("events.yaml:")]
    # One seeded, two found it done.
    assert sorted(line.split(":")[1].split(",")[0].strip() for line in created) == [
        "0 created", "0 created", f"{SEEDED['events']} created"], created
