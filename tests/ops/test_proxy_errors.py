"""nginx's own error answers (a request it refuses, a body over its limit, gunicorn down)
are problem+json like the API's, never HTML pages."""

from __future__ import annotations

import json
from typing import Any

import pytest
from test_gunicorn import Server
from test_proxy import topology  # noqa: F401  (the fixture)
from test_proxy_headers import raw

pytestmark = pytest.mark.slow


def problem(answer: bytes) -> tuple[int, dict[str, Any]]:
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"Content-Type: application/problem+json" in head, answer[:500]
    status = int(head.split(b" ", 2)[1])
    document = json.loads(body)
    assert document["status"] == status and document["title"], document
    return status, document


def test_nginx_errors_are_problem_json(topology: tuple[Server, Any]) -> None:  # noqa: F811
    server, proxy = topology
    port = proxy.port
    assert problem(raw(port, b"GARBAGE\r\n\r\n"))[0] == 400
    big = b"x" * (3 * 1024 * 1024)
    assert problem(raw(port, b"POST /v1/people HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             b"Content-Type: application/json\r\nConnection: close\r\n"
                             b"Content-Length: %d\r\n\r\n" % len(big) + big))[0] == 413
    server.stop()  # nothing listens upstream now
    status, document = problem(raw(port, b"GET /v1/events?limit=7 HTTP/1.1\r\n"
                                         b"Host: 127.0.0.1\r\nConnection: close\r\n\r\n"))
    assert status == 502 and "retry" in document["detail"]
