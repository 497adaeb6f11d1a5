"""gunicorn's own answers to requests it cannot parse are problem+json like the app's,
never HTML, and its log never names the client's address (docs/operations.md)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_gunicorn import Server

pytestmark = pytest.mark.slow
BAD = [
    b"GET / HTTP/1.1\r\nHost: localhost\r\nno colon here\r\n\r\n",  # invalid header
    b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n",  # request line: 414
    b"POST /v1/people HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n"
    b"Content-Type: application/json\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",  # bogus chunk size
    b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n",  # 431
]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = Server(tmp_path, count=1)
    yield running
    running.stop()
    running.log.close()


def answer(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), headers, body


def test_requests_gunicorn_refuses_get_problem_json_and_no_address_is_logged(
    server: Server,
) -> None:
    for request in BAD:
        status, headers, body = answer(server.port, request)
        assert 400 <= status < 500, (request[:60], status, body)
        assert headers["Content-Type"] == "application/problem+json", (request[:60], body)
        problem = json.loads(body)
        assert problem["status"] == status and problem["title"] and "<" not in body.decode()
    server.stop()
    log = server.output()
    assert "Invalid request" in log  # gunicorn said what happened...
    assert "127.0.0.1" not in log.replace(f"127.0.0.1:{server.port}", "")  # ...not from whom
