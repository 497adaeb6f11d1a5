"""Slow clients cost the API nothing through the front: nginx reads a whole request before
it passes it to gunicorn, so clients that trickle their headers or bodies never hold a
sync worker. Sent to gunicorn directly, the same clients take every worker, which is why
gunicorn is never exposed (docs/operations.md)."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from test_gunicorn import Server, get
from test_proxy import topology  # noqa: F401  (the fixture)

pytestmark = pytest.mark.slow
TRICKLES = (  # the start of a request, whose rest never comes
    b"GET /v1/events?limit=3 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ",
    b"POST /v1/people HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    b"Content-Length: 1000\r\n\r\n{\"id\": ",
)


@contextlib.contextmanager
def slow_clients(port: int, count: int) -> Iterator[None]:
    """``count`` connections to ``port``, each having sent part of a request, held open."""
    held = []
    try:
        for n in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(TRICKLES[n % len(TRICKLES)])
            held.append(sock)
        time.sleep(0.5)  # every one has been accepted by now
        yield
    finally:
        for sock in held:
            sock.close()


def timed_read(port: int, n: int) -> float | None:
    """Seconds an uncached read took, or None if it got no answer within 3 s."""
    start = time.monotonic()
    try:
        assert get(port, f"/v1/events?limit={n}", timeout=3)[0] == 200
    except TimeoutError:
        return None
    return time.monotonic() - start


def test_slow_clients_hold_no_worker_through_the_front(
    topology: tuple[Server, Any],  # noqa: F811
) -> None:
    server, proxy = topology  # two sync workers behind nginx
    with slow_clients(proxy.port, 8):
        took = [timed_read(proxy.port, n) for n in range(10, 20)]  # misses: gunicorn answers
    assert None not in took and max(took) < 1, took
    with slow_clients(server.port, 8):  # the same clients sent to gunicorn itself
        assert timed_read(server.port, 21) is None  # every worker waits for a request's rest
