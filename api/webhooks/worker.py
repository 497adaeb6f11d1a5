"""The worker: ``flask --app api webhooks worker`` delivers until it is stopped.

One worker serves every subscription. It keeps nothing in memory that matters: each
subscription's cursor is in the database, so a worker that is killed (or crashes, or
loses the database for a while) is simply started again and goes on from there.
SIGTERM or Ctrl-C lets the attempt in flight finish, then it exits.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from api.extensions import db
from api.webhooks.delivery import deliver_due

webhooks_cli = AppGroup("webhooks", help="Deliver the change log to webhook subscriptions.")


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
    poll = current_app.config["WEBHOOK_POLL_SECONDS"]
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
            stop.wait(poll)
    current_app.logger.info("Webhook worker stopped.")
