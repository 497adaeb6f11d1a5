"""A database that stops answering cannot hold a worker.

A stopped or hung PostgreSQL (its connections open, its kernel still acknowledging) never
applies its own ``statement_timeout`` and TCP keepalives see nothing wrong, so a driver
call would wait forever. Every call on a PostgreSQL connection that waits for the server
(a statement, commit, rollback, ping) therefore has a deadline: the statement timeout plus
half a second for the server's own cancellation to arrive. A watchdog thread shuts the
connection's socket down once it passes; the driver then fails as if the server had gone,
the request answers 503 with Retry-After (api/http/faults.py), and the pool replaces the
connection.

One such silence is enough to know: the database is then marked silent in this process
(``Breaker``) and every later call on it fails at once with the same 503 instead of
waiting out a deadline of its own, so a frozen database holds each worker once, for one
deadline, not for every request. A connection attempt that timed out marks it too (a
refused one costs nothing to retry, and does not). A background thread tries the database
again every second (a connection and ``SELECT 1``, with the same deadlines) and lifts the
mark when it answers.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import socket
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import Engine, event

RESOLUTION = 0.1  # seconds between the watchdog's looks
SLACK = 0.5  # seconds past the statement timeout before the server counts as silent
PROBE_EVERY = 1.0  # seconds between tries of a silent database
SILENT = "The database did not answer in time; marked silent until it answers again."
log = logging.getLogger("api")


class Breaker:
    """Whether one engine's database fell silent, in this process; see the module's doc."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.probe = threading.local()  # set in the probing thread: its calls go through
        self._reset()
        BREAKERS.add(self)

    def _reset(self) -> None:
        """Not silent, no probe (after a fork, or once the engine is disposed)."""
        self.silent = False
        self.lock = threading.Lock()
        self.generation = object()  # a probe of an earlier one stops

    def check(self) -> None:
        """Fail at once (the driver's OperationalError) while the database is silent."""
        if self.silent and not getattr(self.probe, "on", False):
            raise self.engine.dialect.loaded_dbapi.OperationalError(SILENT)

    def trip(self, why: str) -> None:
        with self.lock:
            if self.silent or getattr(self.probe, "on", False):
                return
            self.silent = True
        log.warning("database %s silent (%s): its calls fail at once until it answers",
                    self.engine.url.render_as_string(hide_password=True), why)
        threading.Thread(target=self._try_again, args=(self.generation,), name="db-probe",
                         daemon=True).start()

    def _try_again(self, generation: object) -> None:
        self.probe.on = True
        while True:
            time.sleep(PROBE_EVERY)
            if generation is not self.generation:
                return
            try:
                with self.engine.connect() as connection:
                    connection.exec_driver_sql("SELECT 1")
            except Exception:
                continue
            self.silent = False
            log.warning("database %s answers again",
                        self.engine.url.render_as_string(hide_password=True))
            return


BREAKERS: weakref.WeakSet[Breaker] = weakref.WeakSet()


class Watchdog:
    """Deadlines of the driver calls under way in this process (a thread of its own,
    started on first use in each process: gunicorn forks workers)."""

    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self.lock = threading.Lock()
        # token -> (deadline, socket fd, the breaker to trip when it passes)
        self.waiting: dict[int, tuple[float, int, Breaker]] = {}
        self.tokens = itertools.count()
        self.running = False

    @contextlib.contextmanager
    def bounded(self, connection: Any, seconds: float, breaker: Breaker) -> Iterator[None]:
        """Shut ``connection``'s socket down if the block lasts longer than ``seconds``, and
        trip ``breaker``; fail at once while it is tripped."""
        breaker.check()
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
            self.waiting[token] = (time.monotonic() + seconds, fd, breaker)
        try:
            yield
        finally:
            with self.lock:
                self.waiting.pop(token, None)

    def _watch(self) -> None:
        while True:
            time.sleep(RESOLUTION)
            now = time.monotonic()
            silent = []
            with self.lock:  # held: a registered socket is still open (its call is under way)
                for token, (deadline, fd, breaker) in list(self.waiting.items()):
                    if deadline <= now:
                        del self.waiting[token]
                        _shut_down(fd)
                        silent.append(breaker)
            for breaker in silent:
                breaker.trip("no answer within the deadline")


def _shut_down(fd: int) -> None:
    with contextlib.suppress(OSError):
        sock = socket.socket(fileno=os.dup(fd))
        try:
            sock.shutdown(socket.SHUT_RDWR)
        finally:
            sock.close()


WATCHDOG = Watchdog()


def _reset_breakers() -> None:
    for breaker in BREAKERS:
        breaker._reset()


os.register_at_fork(after_in_child=_reset_breakers)


def bound_calls(engine: Engine, statement_timeout: float, connect_timeout: float) -> None:
    """Put a deadline on every call of ``engine`` that waits for PostgreSQL (its statement
    timeout and ``SLACK``), and a breaker that trips when one passes or when a connection
    attempt times out (``connect_timeout``)."""
    if engine.dialect.name != "postgresql":
        return  # SQLite waits on its own file: its busy timeout bounds that
    seconds = statement_timeout + SLACK
    breaker = Breaker(engine)
    event.listen(engine, "engine_disposed", lambda _engine: breaker._reset())

    def execute(cursor: Any, statement: str, parameters: Any, _context: Any) -> bool:
        with WATCHDOG.bounded(cursor.connection, seconds, breaker):
            cursor.execute(statement, parameters)
        return True  # done here

    def execute_many(cursor: Any, statement: str, parameters: Any, _context: Any) -> bool:
        with WATCHDOG.bounded(cursor.connection, seconds, breaker):
            cursor.executemany(statement, parameters)
        return True

    def execute_bare(cursor: Any, statement: str, _context: Any) -> bool:
        with WATCHDOG.bounded(cursor.connection, seconds, breaker):
            cursor.execute(statement)
        return True

    event.listen(engine, "do_execute", execute)
    event.listen(engine, "do_executemany", execute_many)
    event.listen(engine, "do_execute_no_params", execute_bare)
    dialect = engine.dialect
    for name in ("do_commit", "do_rollback", "do_ping"):
        setattr(dialect, name, _bounded(getattr(dialect, name), seconds, breaker))
    dialect.connect = _connect(dialect.connect, connect_timeout, breaker)


def _bounded(call: Callable[[Any], Any], seconds: float,
             breaker: Breaker) -> Callable[[Any], Any]:
    def bounded(connection: Any) -> Any:
        with WATCHDOG.bounded(connection, seconds, breaker):
            return call(connection)
    return bounded


def _connect(connect: Callable[..., Any], timeout: float,
             breaker: Breaker) -> Callable[..., Any]:
    """The dialect's ``connect``, failing at once while ``breaker`` is tripped, tripping it
    when an attempt fails after waiting out the connect timeout (a silent server)."""

    def connect_or_trip(*args: Any, **kwargs: Any) -> Any:
        breaker.check()
        start = time.monotonic()
        try:
            return connect(*args, **kwargs)
        except breaker.engine.dialect.loaded_dbapi.OperationalError:
            if time.monotonic() - start >= timeout:
                breaker.trip("no answer to a new connection")
            raise
    return connect_or_trip
