"""Writes cannot take every worker.

At most ``WRITE_SLOTS`` curators' writes are under way at once on a host (``0``: no bound,
the default in tests); one more answers 503 with Retry-After at once instead of queueing
behind another writer's lock while reads wait for a free worker. A slot is a lock file
(``flock``) in a directory named after the database, freed by the kernel when its holder
ends, even by SIGKILL; it is taken only once a token proved to be a curator's.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import random
import tempfile

from flask import Flask, current_app, g

from api.http.errors import Problem

SLOT = "write_slot"


def _directory(app: Flask) -> str:
    configured = app.config.get("WRITE_SLOTS_DIR")
    if configured:
        return configured
    database = hashlib.sha256(app.config["SQLALCHEMY_DATABASE_URI"].encode()).hexdigest()
    return os.path.join(tempfile.gettempdir(), f"mission-timeline-writes-{database[:16]}")


def take() -> None:
    """Hold a write slot for the rest of this request, or answer 503."""
    count = current_app.config["WRITE_SLOTS"]
    if count <= 0 or g.get(SLOT) is not None:
        return
    directory = _directory(current_app)
    os.makedirs(directory, exist_ok=True)
    first = random.randrange(count)  # spread the takers over the slots
    for n in range(count):
        fd = os.open(os.path.join(directory, str((first + n) % count)),
                     os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        setattr(g, SLOT, fd)
        return
    raise Problem(503, f"{count} writes are under way already: retry shortly.",
                  headers={"Retry-After": "1"})


def _give_back(_error: BaseException | None) -> None:
    fd = g.pop(SLOT, None)
    if fd is not None:
        with contextlib.suppress(OSError):
            os.close(fd)  # frees the lock


def init_app(app: Flask) -> None:
    app.config.setdefault("WRITE_SLOTS", 0 if app.testing else default_slots())
    app.teardown_request(_give_back)


def default_slots() -> int:
    """Half of gunicorn's workers (WEB_CONCURRENCY, else its default of 2 x CPUs + 1)."""
    workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * (os.cpu_count() or 1) + 1)
    return max(1, workers // 2)
