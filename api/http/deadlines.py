"""A database that stops answering cannot hold a worker.

A stopped or hung PostgreSQL (its connections open, its kernel still acknowledging) never
applies its own ``statement_timeout`` and TCP keepalives see nothing wrong, so a driver
call would wait forever. Every call on a PostgreSQL connection that waits for the server
(a statement, commit, rollback, ping) therefore has a deadline: the statement timeout plus
the connect timeout. A watchdog thread shuts the connection's socket down once it passes;
the driver then fails as if the server had gone, the request answers 503 with Retry-After
(api/http/faults.py), and the pool replaces the connection.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import Engine, event

RESOLUTION = 0.1  # seconds between the watchdog's looks


class Watchdog:
    """Deadlines of the driver calls under way in this process (a thread of its own,
    started on first use in each process: gunicorn forks workers)."""

    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self.lock = threading.Lock()
        self.waiting: dict[int, tuple[float, int]] = {}  # token -> (deadline, socket fd)
        self.tokens = itertools.count()
        self.running = False

    @contextlib.contextmanager
    def bounded(self, connection: Any, seconds: float) -> Iterator[None]:
        """Shut ``connection``'s socket down if the block lasts longer than ``seconds``."""
        try:
            fd = connection.pgconn.socket
        except Exception:  # closed already: the driver call fails on its own
            yield
            return
        token = next(self.tokens)
        with self.lock:
            if not self.running:
                self.running = True
                threading.Thread(target=self._watch, name="db-deadlines", daemon=True).start()
            self.waiting[token] = (time.monotonic() + seconds, fd)
        try:
            yield
        finally:
            with self.lock:
                self.waiting.pop(token, None)

    def _watch(self) -> None:
        while True:
            time.sleep(RESOLUTION)
            now = time.monotonic()
            with self.lock:  # held: a registered socket is still open (its call is under way)
                for token, (deadline, fd) in list(self.waiting.items()):
                    if deadline <= now:
                        del self.waiting[token]
                        _shut_down(fd)


def _shut_down(fd: int) -> None:
    with contextlib.suppress(OSError):
        sock = socket.socket(fileno=os.dup(fd))
        try:
            sock.shutdown(socket.SHUT_RDWR)
        finally:
            sock.close()


WATCHDOG = Watchdog()


def bound_calls(engine: Engine, seconds: float) -> None:
    """Put a deadline of ``seconds`` on every call of ``engine`` that waits for PostgreSQL."""
    if engine.dialect.name != "postgresql":
        return  # SQLite waits on its own file: its busy timeout bounds that

    def execute(cursor: Any, statement: str, parameters: Any, _context: Any) -> bool:
        with WATCHDOG.bounded(cursor.connection, seconds):
            cursor.execute(statement, parameters)
        return True  # done here

    def execute_many(cursor: Any, statement: str, parameters: Any, _context: Any) -> bool:
        with WATCHDOG.bounded(cursor.connection, seconds):
            cursor.executemany(statement, parameters)
        return True

    def execute_bare(cursor: Any, statement: str, _context: Any) -> bool:
        with WATCHDOG.bounded(cursor.connection, seconds):
            cursor.execute(statement)
        return True

    event.listen(engine, "do_execute", execute)
    event.listen(engine, "do_executemany", execute_many)
    event.listen(engine, "do_execute_no_params", execute_bare)
    dialect = engine.dialect
    for name in ("do_commit", "do_rollback", "do_ping"):
        setattr(dialect, name, _bounded(getattr(dialect, name), seconds))


def _bounded(call: Callable[[Any], Any], seconds: float) -> Callable[[Any], Any]:
    def bounded(connection: Any) -> Any:
        with WATCHDOG.bounded(connection, seconds):
            return call(connection)
    return bounded
