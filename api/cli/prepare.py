"""``flask prepare [--seed]``: what an instance does before it serves (boot.sh), one
instance at a time.

Several instances starting at once on an empty database would each create the schema
(or the seeded records), and all but one would fail on what another just made. Here they
take turns under a lock: PostgreSQL's advisory lock (polled, so no statement or lock
timeout ends the wait), or on SQLite a file lock beside the database file.
"""

from __future__ import annotations

import contextlib
import fcntl
import time
from collections.abc import Iterator

import click
from flask import current_app
from flask_migrate import upgrade
from sqlalchemy import text

from api.cli.seed import seed_command
from api.extensions import db

LOCK_KEY = 20211005  # the advisory lock's key: this application's boot
WAIT_SECONDS = 600  # longest wait for another instance's migration and seeding


@contextlib.contextmanager
def one_at_a_time() -> Iterator[None]:
    """Hold the boot lock of this database for the block."""
    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            deadline = time.monotonic() + WAIT_SECONDS
            while not conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}):
                if time.monotonic() > deadline:
                    raise click.ClickException("Another instance held the boot lock too long.")
                conn.rollback()
                time.sleep(0.2)
            try:
                yield
            finally:
                conn.scalar(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
        return
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.boot-lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield  # the lock ends with the file's closing


@click.command("prepare")
@click.option("--seed", is_flag=True,
              help="Also create what the seed files hold and the database lacks (as `seed`).")
def prepare_command(seed: bool) -> None:
    """Migrate the schema (and with --seed, load the seeds), one instance at a time."""
    with one_at_a_time():
        if seed:
            click.get_current_context().invoke(seed_command)
        else:
            upgrade(directory=current_app.extensions["migrate"].directory)
