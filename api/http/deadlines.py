"""A database that stops answering cannot hold a worker.

A stopped or hung PostgreSQL never applies its own ``statement_timeout``, and TCP keepalives
see nothing wrong, so a driver call could wait forever. Every call on a PostgreSQL
connection that waits for the server (statement, commit, rollback, ping) therefore has a
deadline: the statement timeout plus ``SLACK``. A watchdog thread shuts the socket down
once it passes; the request answers 503 with Retry-After (api/http/faults.py) and the pool
replaces the connection.

A call that has waited ``SUSPECT_AFTER`` seconds makes the worker ask the server itself:
its front door (an SSLRequest, answered at once unless the server is stopped), then
``SELECT 1`` on a new connection. No answer, a call past its deadline, or a timed-out
connection attempt marks the database silent in this worker (``Breaker``): calls under way
are cut and later ones fail at once with the same 503, so a stopped database holds a worker
once, for under a second. (A refused connection marks nothing.) The worker asks again every
``PROBE_EVERY`` seconds and lifts the mark when the server answers.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import socket
import struct
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import Engine, event

RESOLUTION = 0.1  # seconds between the watchdog's looks
SLACK = 0.5  # seconds past the statement timeout before the server counts as silent
SUSPECT_AFTER = 0.3  # seconds a call waits before the worker asks the server directly
FRONT_DOOR = 0.2  # seconds the server has to answer an SSLRequest
SSL_REQUEST = struct.pack("!ii", 8, 80877103)  # PostgreSQL's protocol: answered b"S" or b"N"
PROBE_EVERY = 1.0  # seconds between tries of a silent database
SILENT = "The database did not answer in time; marked silent until it answers again."
log = logging.getLogger("api")


class Breaker:
    """Whether one engine's database fell silent, in this process; see the module's doc."""

    def __init__(self, engine: Engine, connect_timeout: float) -> None:
        self.engine, self.connect_timeout = engine, connect_timeout
        self.probe = threading.local()  # set in a thread asking the server: it goes through
        self.connect: Callable[[], Any] | None = None  # a new connection, as the pool's
        self._reset()
        BREAKERS.add(self)

    def _reset(self) -> None:
        """Not silent, nothing under way (after a fork, or once the engine is disposed)."""
        self.silent, self.asking, self.asked_at = False, False, float("-inf")
        self.lock = threading.Lock()
        self.generation = object()  # a probe of an earlier one stops

    @property
    def exempt(self) -> bool:
        return getattr(self.probe, "on", False)

    def check(self) -> None:
        """Fail at once (the driver's OperationalError) while the database is silent."""
        if self.silent and not self.exempt:
            raise self.engine.dialect.loaded_dbapi.OperationalError(SILENT)

    def answers(self) -> bool:
        """Whether the server answers at its front door, then ``SELECT 1``."""
        url = self.engine.url
        if not front_door_answers(url.host, url.port or 5432):
            return False
        self.probe.on = True
        try:
            connection = self.connect()  # type: ignore[misc]
        except Exception:
            return False
        try:
            with WATCHDOG.bounded(connection, self.connect_timeout, self):
                connection.execute("SELECT 1")
            return True
        except Exception:
            return False
        finally:
            with contextlib.suppress(Exception):
                connection.close()

    def suspect(self) -> None:
        """A call has waited ``SUSPECT_AFTER``: ask the server, in a thread of its own."""
        with self.lock:
            if (self.silent or self.asking or self.connect is None
                    or time.monotonic() - self.asked_at < PROBE_EVERY):
                return
            self.asking = True
        threading.Thread(target=self._ask, name="db-suspect", daemon=True).start()

    def _ask(self) -> None:
        if not self.answers():
            self.trip("a call waited and the server did not answer")
        with self.lock:
            self.asking, self.asked_at = False, time.monotonic()

    def trip(self, why: str) -> None:
        with self.lock:
            if self.silent:
                return
            self.silent = True
        log.warning("database %s silent (%s): its calls fail at once until it answers",
                    self.engine.url.render_as_string(hide_password=True), why)
        threading.Thread(target=self._try_again, args=(self.generation,), name="db-probe",
                         daemon=True).start()

    def _try_again(self, generation: object) -> None:
        while generation is self.generation:
            time.sleep(PROBE_EVERY)
            if generation is self.generation and self.answers():
                self.silent = False
                log.warning("database %s answers again",
                            self.engine.url.render_as_string(hide_password=True))
                return


def front_door_answers(host: str | None, port: int) -> bool:
    """Whether the server at ``host:port`` answers an SSLRequest within ``FRONT_DOOR``
    seconds; True when it cannot be asked this way (a Unix socket) or refuses at once."""
    if not host or host.startswith("/"):
        return True
    try:
        with socket.create_connection((host, port), timeout=FRONT_DOOR) as sock:
            sock.sendall(SSL_REQUEST)
            sock.recv(1)  # b"S", b"N", or closed: something answered
            return True
    except TimeoutError:
        return False
    except OSError:  # refused or reset: not silent (the driver says so at once)
        return True


BREAKERS: weakref.WeakSet[Breaker] = weakref.WeakSet()


class Watchdog:
    """Deadlines of the driver calls under way (a thread started on first use in each
    process)."""

    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self.lock = threading.Lock()
        # token -> (start, deadline, socket fd, breaker, exempt from a tripped breaker)
        self.waiting: dict[int, tuple[float, float, int, Breaker, bool]] = {}
        self.tokens = itertools.count()
        self.running = False

    @contextlib.contextmanager
    def bounded(self, connection: Any, seconds: float, breaker: Breaker) -> Iterator[None]:
        """Shut ``connection``'s socket down once the block lasts ``seconds`` (tripping
        ``breaker``) or ``breaker`` trips."""
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
            now = time.monotonic()
            self.waiting[token] = (now, now + seconds, fd, breaker, breaker.exempt)
        try:
            yield
        finally:
            with self.lock:
                self.waiting.pop(token, None)

    def _watch(self) -> None:
        while True:
            time.sleep(RESOLUTION)
            now = time.monotonic()
            late, suspects = set(), set()
            with self.lock:  # held: a registered socket is still open (its call is under way)
                for token, (start, deadline, fd, breaker, exempt) in list(self.waiting.items()):
                    if deadline <= now or (breaker.silent and not exempt):
                        del self.waiting[token]
                        _shut_down(fd)
                        if deadline <= now:
                            late.add(breaker)
                    elif now - start >= SUSPECT_AFTER and not exempt:
                        suspects.add(breaker)
            for breaker in late:
                breaker.trip("no answer within the deadline")
            for breaker in suspects:
                breaker.suspect()


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
    """Put a deadline and a ``Breaker`` on every call of ``engine`` that waits for
    PostgreSQL (see the module's doc)."""
    if engine.dialect.name != "postgresql":
        return  # SQLite waits on its own file: its busy timeout bounds that
    seconds = statement_timeout + SLACK
    breaker = Breaker(engine, connect_timeout)
    event.listen(engine, "engine_disposed", lambda _engine: breaker._reset())

    def bounded_execute(method: str) -> Callable[..., bool]:
        def execute(cursor: Any, statement: str, *parameters_and_context: Any) -> bool:
            with WATCHDOG.bounded(cursor.connection, seconds, breaker):
                getattr(cursor, method)(statement, *parameters_and_context[:-1])
            return True  # done here
        return execute

    for name, method in (("do_execute", "execute"), ("do_executemany", "executemany"),
                         ("do_execute_no_params", "execute")):
        event.listen(engine, name, bounded_execute(method))
    dialect = engine.dialect
    for name in ("do_commit", "do_rollback", "do_ping"):
        setattr(dialect, name, _bounded(getattr(dialect, name), seconds, breaker))
    dialect.connect = _connect(dialect.connect, breaker)


def _bounded(call: Callable[[Any], Any], seconds: float,
             breaker: Breaker) -> Callable[[Any], Any]:
    def bounded(connection: Any) -> Any:
        with WATCHDOG.bounded(connection, seconds, breaker):
            return call(connection)
    return bounded


def _connect(connect: Callable[..., Any], breaker: Breaker) -> Callable[..., Any]:
    """The dialect's ``connect``, failing at once while ``breaker`` is tripped, tripping
    it when an attempt times out, and lending the breaker its arguments."""

    def connect_or_trip(*args: Any, **kwargs: Any) -> Any:
        breaker.check()
        breaker.connect = lambda: connect(*args, **kwargs)
        start = time.monotonic()
        try:
            return connect(*args, **kwargs)
        except breaker.engine.dialect.loaded_dbapi.OperationalError:
            if time.monotonic() - start >= breaker.connect_timeout:
                breaker.trip("no answer to a new connection")
            raise
    return connect_or_trip
