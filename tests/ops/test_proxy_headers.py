"""Through the shipped front (nginx from deploy/ in front of gunicorn) no request header a
client controls changes what another client receives: every forwarded-header variant a
client might send is overwritten or dropped by nginx, and a request without a Host header
never gets links to the upstream's internal address."""

from __future__ import annotations

import re
import socket
from typing import Any

import pytest
from test_gunicorn import Server, get
from test_proxy import topology  # noqa: F401  (the fixture)

pytestmark = pytest.mark.slow
EVIL = "evil.example"
# Every header a proxy, framework or application has been known to build URLs or client
# addresses from; each one is tried on a URL of its own, then read back by a plain client.
HOSTILE: list[dict[str, str]] = [
    {"X-Forwarded-Host": EVIL},
    {"X-Forwarded-Host": f"127.0.0.1@{EVIL}"},
    {"X-Forwarded-Proto": "https"},
    {"X-Forwarded-Proto": "javascript"},
    {"X-Forwarded-Prefix": f"@{EVIL}"},
    {"X-Forwarded-Prefix": "/evil"},
    {"X-Forwarded-Port": "6666"},
    {"X-Forwarded-For": "6.6.6.6"},
    {"X-Forwarded-Server": EVIL},
    {"X-Forwarded-Scheme": "https"},
    {"X-Forwarded-Ssl": "on"},
    {"X-Forwarded-Uri": "/evil"},
    {"X-Forwarded-Path": "/evil"},
    {"X-Original-Url": "/evil"},
    {"X-Rewrite-Url": "/evil"},
    {"X-Original-Host": EVIL},
    {"X-Host": EVIL},
    {"X-Real-Ip": "6.6.6.6"},
    {"X-Url-Scheme": "https"},
    {"Front-End-Https": "on"},
    {"X-Script-Name": "/evil"},
    {"Script-Name": "/evil"},
    {"Forwarded": f"host={EVIL}"},
    {"Forwarded": f'for=6.6.6.6;host="{EVIL}";proto=https'},
    {"Forwarded": "proto=https"},
    {"Forwarded": f"for=6.6.6.6, host={EVIL}"},
    {"X-Forwarded-Host": EVIL, "X-Forwarded-Proto": "https", "X-Forwarded-Port": "6666",
     "X-Forwarded-Prefix": "/evil", "Forwarded": f"host={EVIL};proto=https"},
]
LINK = re.compile(rb"[a-z][a-z0-9+.-]*://[^\"'\s<>,;]*")


def raw(port: int, request: bytes) -> bytes:
    """The whole answer to one request written as is (an HTTP/1.0 one closes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def fetch(port: int, path: str, headers: dict[str, str]) -> bytes:
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return raw(port, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{lines}"
                     "Connection: close\r\n\r\n".encode())


def foreign(answer: bytes, base: bytes) -> list[bytes]:
    """Every link in an answer (headers and body) that is not under ``base``, and every
    mention of the hostile values."""
    links = [link for link in LINK.findall(answer) if not link.startswith(base)]
    return links + [word for word in (EVIL.encode(), b"6666", b"/evil")
                    if word in answer]


# Pages full of links, each with a query that differs per attempt (a cache entry of its own).
@pytest.mark.parametrize("path", [
    "/v1/events?limit={n}", "/v1/events/soyuz-ms-19-launch?as_of=2100-01-01T00:00:{n:02}Z",
    "/?{n}", "/embed/the-challenge?to=3{n:03}",
])
def test_no_forwarded_header_a_client_sends_reaches_another_client(
    topology: tuple[Server, Any], path: str,  # noqa: F811
) -> None:
    _, proxy = topology
    base = f"http://127.0.0.1:{proxy.port}/".encode()
    assert get(proxy.port, "/v1/events?limit=1")[0] == 200
    for n, headers in enumerate(HOSTILE, start=1):
        url = path.format(n=n)
        sent = fetch(proxy.port, url, headers)  # stored by nginx, if the API answers 200
        assert sent.startswith(b"HTTP/1.1 200"), (headers, sent[:300])
        assert foreign(sent, base) == [], headers
        later = fetch(proxy.port, url, {})  # another client: from the cache
        assert b"X-Cache-Status: HIT" in later, (headers, later[:400])
        assert foreign(later, base) == [], headers


def test_a_request_without_host_never_gets_the_upstreams_address(
    topology: tuple[Server, Any],  # noqa: F811
) -> None:
    server, proxy = topology
    upstream = f"127.0.0.1:{server.port}".encode()
    for path in ("/", "/v1/events?limit=1", "/healthz"):
        answer = raw(proxy.port, f"GET {path} HTTP/1.0\r\n\r\n".encode())
        assert upstream not in answer, answer[:600]
        head, _, body = answer.partition(b"\r\n\r\n")
        assert b"Content-Type: application/problem+json" in head or body.startswith(b"{"), head


def test_an_absolute_request_target_does_not_choose_the_links(
    topology: tuple[Server, Any],  # noqa: F811
) -> None:
    _, proxy = topology
    base = f"http://127.0.0.1:{proxy.port}/".encode()
    url = "/v1/events?limit=77"
    sent = raw(proxy.port, f"GET http://{EVIL}{url} HTTP/1.1\r\nHost: 127.0.0.1:{proxy.port}"
                           "\r\nConnection: close\r\n\r\n".encode())
    assert foreign(sent, base) == [] and foreign(fetch(proxy.port, url, {}), base) == []
