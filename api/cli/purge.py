"""``flask --app api purge``: keep a shared cache exact by following the change log.

For each new entry of the change log, the responses it makes stale are purged by their
surrogate keys (api/http/cache/keys.py) at ``PURGE_URL`` (Varnish with xkey:
deploy/varnish.vcl). Every purge is sent twice: at once, and again once the app's own
per-worker caches have certainly seen the change (``CACHE_CHECK_SECONDS``, at least a
second), so a response fetched in between from a worker that had not yet noticed, or
already in flight when the first purge came, does not stay in the cache for an hour.
Starting, it drops the whole cache (it cannot know what changed while it was away).
A purge that fails is retried on the next round: the log position only moves past
entries whose purge the cache acknowledged.
"""

from __future__ import annotations

import logging
import time
import urllib.request
from collections.abc import Iterable

import click
from flask import current_app
from sqlalchemy import select

from api.domain.changelog import data_version
from api.extensions import db
from api.http.cache.keys import change_keys
from api.models import Change

log = logging.getLogger(__name__)
BATCH = 500  # entries read at a time


def send(url: str, method: str, keys: Iterable[str] = (), timeout: float = 2.0) -> None:
    """One purge request (``PURGE`` with ``xkey-purge``, or ``BAN`` for everything)."""
    headers = {"xkey-purge": " ".join(sorted(keys))} if method == "PURGE" else {}
    request = urllib.request.Request(url, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        response.read()


def new_keys(after: int) -> tuple[int, set[str]]:
    """The keys the entries after ``after`` make stale (a batch), and the last one read."""
    entries = db.session.scalars(select(Change).where(Change.seq > after)
                                 .order_by(Change.seq).limit(BATCH)).all()
    keys = set().union(*(change_keys(entry) for entry in entries))
    db.session.rollback()  # end the read: the next round sees what was committed since
    return (entries[-1].seq if entries else after), keys


def run(url: str, poll: float, again: float, rounds: int | None = None) -> None:
    """Follow the log from its current end, purging as it goes (``rounds``: stop after
    that many, for tests)."""
    send(url, "BAN")
    after, due = data_version(), []  # due: (when, keys) of the second purges
    click.echo(f"purging at {url} after each change from seq {after} on", err=True)
    while rounds is None or (rounds := rounds - 1) >= 0:
        try:
            last, keys = new_keys(after)
            if keys:
                send(url, "PURGE", keys)
                due.append((time.monotonic() + again, keys))
            after = last
            while due and due[0][0] <= time.monotonic():
                send(url, "PURGE", due.pop(0)[1])
        except OSError as error:  # the cache is away: the same entries next round
            log.warning("purge at %s failed: %s", url, error)
        time.sleep(poll)


@click.command("purge")
@click.option("--url", default=None, help="The shared cache's address (default PURGE_URL).")
def purge_command(url: str | None) -> None:
    """Follow the change log and purge, at the shared cache, exactly what each change
    made stale (docs/operations.md)."""
    config = current_app.config
    run(url or config["PURGE_URL"], config["PURGE_POLL_SECONDS"],
        max(1.0, config["CACHE_CHECK_SECONDS"]))
