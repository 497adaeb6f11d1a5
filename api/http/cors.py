"""Cross-origin reads: Flask-CORS's answer for each kind of request, worked out once.

Flask-CORS decides every response's ``Access-Control-*`` headers (and ``Vary: Origin`` for
a list of origins). With one resource for every path, as configured here, what it adds
depends only on the request's ``Origin``, method and ``Access-Control-Request-*`` headers;
``Remembered`` keeps what it added for each such combination seen lately and adds the same
headers to later responses, without working them out again (a fifth of the hooks' cost
on an uncached read).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from cachetools import LRUCache
from flask import Flask, Response, request

from api.extensions import cors

EXPOSED_HEADERS = ["ETag", "Link", "Memento-Datetime", "Retry-After", "X-Request-ID",
                   "Snapshot-Seq", "Data-Seq",
                   "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"]
# What Flask-CORS reads of a request (besides the path, which one resource ignores).
ASKED = ("HTTP_ORIGIN", "REQUEST_METHOD", "HTTP_ACCESS_CONTROL_REQUEST_METHOD",
         "HTTP_ACCESS_CONTROL_REQUEST_HEADERS", "HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK")
KEPT = 256  # combinations remembered (origins come from clients: bounded)


def cors_origins(config: dict[str, Any]) -> list[str]:
    """The allowed origins, ``["*"]`` for anyone."""
    origins = config["CORS_ORIGINS"]
    if isinstance(origins, str):  # a test config may give one origin as a string
        origins = [item.strip() for item in origins.split(",")]
    return list(origins)


class Remembered:
    """Flask-CORS's ``after_request`` function, remembered per combination of ``ASKED``."""

    def __init__(self, decide: Callable[[Response], Response]) -> None:
        self.decide = decide
        self.known: LRUCache[tuple[str | None, ...], list[tuple[str, str]]] = LRUCache(KEPT)
        self.lock = threading.Lock()

    def __call__(self, response: Response) -> Response:
        if "Access-Control-Allow-Origin" in response.headers:
            return response  # set by the view (Flask-CORS too leaves these alone)
        environ = request.environ
        key = tuple(environ.get(name) for name in ASKED)
        with self.lock:
            added = self.known.get(key)
        if added is None:
            probe = Response()
            before = len(probe.headers)
            self.decide(probe)  # Flask-CORS only adds headers
            added = list(probe.headers.items())[before:]
            with self.lock:
                self.known[key] = added
        response.headers.extend(added)
        return response


def init_app(app: Flask) -> None:
    origins = cors_origins(app.config)
    anyone = origins == ["*"]
    hooks = app.after_request_funcs.setdefault(None, [])
    before = list(hooks)
    cors.init_app(app, origins="*" if anyone else origins, send_wildcard=anyone,
                  vary_header=not anyone, expose_headers=EXPOSED_HEADERS)
    (decide,) = [hook for hook in hooks if hook not in before]  # what Flask-CORS registered
    hooks[hooks.index(decide)] = Remembered(decide)
