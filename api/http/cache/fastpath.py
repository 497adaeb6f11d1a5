"""The read fast path: a cache hit or a 304 answered before Flask builds a request.

A hit's answer is already known: the body and every header the pipeline gave it (CORS,
security headers, ETag, Cache-Control, Link) are stored with the entry (responses.py).
What is new per request is added here, by the same function Flask's path uses: the
rate-limit count and headers (limits.count_read); the request id, the access-log line and
the metrics are added around both paths (observability.Observed); the server adds Date.
Everything else (argument parsing, the request context, routing, the before/after hooks,
sessions) only matters for a miss, which goes on to Flask with its cache key and data
version in the environ.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.http import parse_etags

from api.http import limits, observability
from api.http.cache.responses import (
    EXTENSION,
    KEY,
    VERSION,
    VERSION_ERROR,
    Entry,
    ResponseCache,
)

StartResponse = Callable[..., Any]
def matches(if_none_match: str, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (weak comparison, as for GET)."""
    return if_none_match == f'"{etag}"' or parse_etags(if_none_match).contains_weak(etag)


class FastPath:
    """WSGI middleware in front of Flask's own ``wsgi_app`` (behind ProxyFix, if any)."""

    def __init__(self, app: Flask) -> None:
        self.flask = app
        self.next = app.wsgi_app
        self._cache: ResponseCache | None = None

    @property
    def cache(self) -> ResponseCache:
        if self._cache is None:
            self._cache = self.flask.extensions[EXTENSION]
        return self._cache

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        cache = self.cache
        key = cache.key(environ) if cache.enabled else None
        if key is None:
            return self.next(environ, start_response)
        if cache.stale():
            try:
                with self.flask.app_context():
                    cache.check_version()
            except Exception as error:  # e.g. the database is down: a stored entry, if the
                entry = cache.get(key)  # database's error allows it, else Flask's path
                if entry is None or not isinstance(error, SQLAlchemyError) or not (
                        cache.usable_on_error()):  # answers with this error (no second try)
                    environ[VERSION_ERROR] = error
                    return self.next(environ, start_response)
                return self.hit(environ, start_response, entry)
        entry = cache.get(key)
        if entry is None:
            environ[KEY], environ[VERSION] = key, cache.version
            return self.next(environ, start_response)
        return self.hit(environ, start_response, entry)

    def hit(self, environ: dict[str, Any], start_response: StartResponse,
            entry: Entry) -> Iterable[bytes]:
        limit_headers = limits.count_read(self.flask, environ)
        if limit_headers is None:  # over budget (or the limiter's storage failed)
            return self.next(environ, start_response)
        return self.answer(environ, start_response, entry, limit_headers)

    def answer(self, environ: dict[str, Any], start_response: StartResponse, entry: Entry,
               extra: list[tuple[str, str]]) -> Iterable[bytes]:
        environ[observability.ENDPOINT] = entry.endpoint  # for the log line and metrics
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match and matches(if_none_match, entry.etag):
            start_response("304 NOT MODIFIED", [*entry.not_modified, *extra])
            return [b""]
        start_response("200 OK", [*entry.full, *extra])
        return [b""] if environ["REQUEST_METHOD"] == "HEAD" else [entry.body]


class NoSessions(SessionInterface):
    """No cookie session: the API keeps no state between requests, so every request gets
    Flask's null session (which refuses writes), with no cookie read, no signer built and
    nothing saved at the end."""

    def open_session(self, app: Flask, request: Request) -> None:
        return None  # Flask then uses make_null_session

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        pass  # only called for a real session: there is none


def install(app: Flask) -> None:
    """Put the fast path in front of Flask (call before ProxyFix wraps the app)."""
    app.session_interface = NoSessions()
    app.wsgi_app = FastPath(app)  # type: ignore[method-assign]
