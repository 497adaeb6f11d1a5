"""The worker: ``flask --app api webhooks worker`` delivers until it is stopped.

One worker serves every subscription. It keeps nothing in memory that matters: each
subscription's cursor is in the database, so a worker that is killed (or crashes, or
loses the database for a while) is simply started again and goes on from there.
SIGTERM or Ctrl-C lets the attempt in flight finish, then it exits.

Between rounds it waits for the next change: on PostgreSQL it listens on the change
log's channel, which every appending transaction notifies as it commits
(api/domain/changelog.py), so a new entry goes out at once; whatever the database, it
looks again after ``WEBHOOK_POLL_SECONDS`` anyway (a lost connection, a change that
notified nobody). Its own bookkeeping commits without waiting for the disk: a record lost
in a crash of the database server only means an entry is sent again, as at least once
allows.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import Connection, Engine, event

from api.domain.changelog import CHANNEL
from api.extensions import db
from api.webhooks.delivery import deliver_due

SLICE = 0.5  # seconds: the longest a stop waits for the worker to notice it
webhooks_cli = AppGroup("webhooks", help="Deliver the change log to webhook subscriptions.")


def relax_commits(engine: Engine) -> None:
    """Let ``engine``'s new connections commit without waiting for the disk to confirm
    (PostgreSQL ``synchronous_commit``; SQLite ``synchronous=NORMAL``, which its
    write-ahead log keeps consistent): a crash of the machine may lose the last commits,
    never mix them up."""
    postgresql = engine.dialect.name == "postgresql"

    def relaxed(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("SET synchronous_commit = off" if postgresql
                       else "PRAGMA synchronous = NORMAL")
        cursor.close()
        if postgresql:
            connection.commit()

    event.listen(engine, "connect", relaxed)
    engine.dispose()  # connections made before keep their setting: make new ones


class Wakeup:
    """Waits for the next change to the log, at most ``timeout`` seconds at a time.

    On PostgreSQL it listens from the start, before the first round looks for work, so
    no commit falls between a look and the wait; after losing its connection it listens
    anew and has the next round look at once (commits meanwhile notified nobody)."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop
        self.listening: Connection | None = None
        self.listen()

    def listen(self) -> bool:
        """Start listening (PostgreSQL only); whether it now does."""
        if db.engine.dialect.name != "postgresql":
            return False
        try:
            self.listening = db.engine.connect().execution_options(
                isolation_level="AUTOCOMMIT")
            self.listening.exec_driver_sql(f"LISTEN {CHANNEL}")
        except Exception:  # e.g. the database is away: poll meanwhile
            self.close()
            return False
        return True

    def wait(self, timeout: float) -> None:
        if self.listening is None:
            if not self.listen():
                self.stop.wait(timeout)
            return
        try:
            raw = self.listening.connection.driver_connection
            deadline = time.monotonic() + timeout
            # In slices, so that a stop (a signal does not cut the wait short) is prompt.
            while not self.stop.is_set() and (left := deadline - time.monotonic()) > 0:
                if list(raw.notifies(timeout=min(left, SLICE), stop_after=1)):
                    break
            for _ in raw.notifies(timeout=0):  # those that came meanwhile: one round too
                pass
        except Exception:  # e.g. the database went away
            current_app.logger.warning("Webhook worker: stopped listening for changes; "
                                       "polling until it listens again.")
            self.close()
            self.stop.wait(timeout)

    def close(self) -> None:
        if self.listening is not None:
            with contextlib.suppress(Exception):  # already broken: nothing to give back
                self.listening.close()
            self.listening = None


@webhooks_cli.command("worker")
@click.option("--once", is_flag=True,
              help="Deliver what is due now, then exit (instead of running until stopped).")
def worker_command(once: bool) -> None:
    """Send every subscription its new change-log entries, signed, until stopped."""
    stop = threading.Event()

    def stopping(*_args: Any) -> None:
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, stopping)
    relax_commits(db.engine)
    poll = current_app.config["WEBHOOK_POLL_SECONDS"]
    wakeup = Wakeup(stop)
    current_app.logger.info("Webhook worker started (polling every %ss).", poll)
    while not stop.is_set():
        try:
            worked = deliver_due()
        except Exception:  # e.g. the database is unreachable: try again in a moment
            current_app.logger.exception("Webhook worker: a round failed; retrying.")
            db.session.remove()
            worked = 0
            stop.wait(max(poll, 1.0))
        if not worked:
            if once:
                break
            wakeup.wait(poll)
    wakeup.close()
    current_app.logger.info("Webhook worker stopped.")
