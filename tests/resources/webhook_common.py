"""A webhook receiver for tests: an HTTP server on 127.0.0.1 in a thread that verifies
every delivery's signature with ``standardwebhooks``, and can answer errors or go down."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from flask import Flask
from standardwebhooks import Webhook, WebhookVerificationError

from api.models import Mission

LOOPBACK = ("127.0.0.1/32",)


class Receiver:
    """Every request it got: ``(headers, entry)`` of each verified one, and the number
    that failed verification (``unsigned``). ``status`` is what it answers."""

    def __init__(self, delay: float = 0.0) -> None:
        self.secrets: list[str] = []  # of the subscriptions sending to it
        self.status = 200
        self.refused: set[int] = set()  # entries answered 503 whatever ``status`` says
        self.delay = delay
        self.received: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.unsigned = 0
        self.lock = threading.Lock()
        self.port = 0
        self.server: ThreadingHTTPServer | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = dict(self.headers.items())
                entry = receiver.verify(body, headers)
                time.sleep(receiver.delay)
                status = 503 if entry and entry["seq"] in receiver.refused else receiver.status
                with receiver.lock:
                    if entry is None:
                        receiver.unsigned += 1
                    elif status < 300:
                        receiver.received.append(({k.lower(): v for k, v in headers.items()},
                                                  entry))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def verify(self, body: bytes, headers: dict[str, str]) -> dict[str, Any] | None:
        """The entry, if a subscription's secret verifies the signature."""
        for secret in self.secrets:
            try:
                return Webhook(secret).verify(body, headers)
            except WebhookVerificationError:
                pass
        return None

    def stop(self) -> None:
        """Go down: connections are refused until ``start``."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def seqs(self) -> list[int]:
        with self.lock:
            return [entry["seq"] for _, entry in self.received]


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def add_missions(app: Flask, count: int, prefix: str = "m") -> list[int]:
    """Commit ``count`` new missions, one transaction each; the ``seq`` of each."""
    from api.domain.changelog import data_version
    from api.extensions import db

    seqs = []
    with app.app_context():
        for n in range(count):
            db.session.add(Mission(id=f"{prefix}{n}", name=f"Mission {n}", summary="A test."))
            db.session.commit()
            seqs.append(data_version())
        db.session.remove()
    return seqs
