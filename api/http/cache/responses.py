"""The response cache: whole GET responses, valid for one data version.

An entry is the body and headers of a 200 response, keyed by the full URL plus the
headers that can change the representation (``CACHE_KEY_HEADERS``, ``Accept-Datetime``,
and ``Origin`` when CORS answers differ by origin). ``serve`` (a ``before_request`` hook,
after the rate limits) answers a hit with the stored response, which then passes through
every ``after_request`` hook like any other: rate-limit and security headers, CORS, and the
cache policy, which turns it into a 304 when the client's ETag matches. ``store`` (called
by the policy, the last hook) keeps a miss's final response.

Freshness: every committed change appends to the change log (api/domain/changelog.py),
whose last ``seq`` is the data version. A worker reads it at most once per
``CACHE_CHECK_SECONDS`` and drops every entry when it moved, so another worker's (or the
CLI's) write is visible within that bound; a write committed through this worker
invalidates at once.

Stale if error: while the data version cannot be read (the database is down, frozen or
refusing), a stored entry is still served, for up to ``CACHE_STALE_IF_ERROR`` seconds
after the last successful check, as the ``stale-if-error`` directive every such response
carries lets any cache do (RFC 5861). A request with no entry gets the database's 503.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from cachetools import LRUCache
from flask import Flask, Response, current_app, has_app_context, request
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from api.domain import changelog
from api.http import replicas
from api.http.cors import cors_origins

EXTENSION = "response_cache"
# In the request's environ (per request, where ``g`` may outlive it): a miss's key and data
# version, for ``store``; whether the response came from the cache.
KEY, VERSION, HIT = "api.cache_key", "api.cache_version", "api.cache_hit"
# Headers set anew on every response, never stored (lower case).
PER_REQUEST = frozenset({"x-request-id", "x-ratelimit-limit", "x-ratelimit-remaining",
                         "x-ratelimit-reset", "retry-after", "date", "content-length"})


class ResponseCache:
    """An LRU of responses bounded by their bodies' bytes, valid for one data version."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.enabled = bool(config["RESPONSE_CACHE"]) and config["CACHE_MAX_BYTES"] > 0
        self.check_seconds = config["CACHE_CHECK_SECONDS"]
        self.paths = tuple(config["CACHE_PATHS"])
        # A record's URL is its TimeGate: Accept-Datetime turns its answer into a redirect.
        names = (*config["CACHE_KEY_HEADERS"], "Accept-Datetime")
        if cors_origins(config) != ["*"]:  # CORS headers then depend on the origin
            names += ("Origin",)
        self.key_headers = tuple("HTTP_" + name.upper().replace("-", "_") for name in names)
        # Entries: (body, headers), bounded by the bodies' bytes.
        self.entries: LRUCache[Any, tuple[bytes, list[tuple[str, str]]]] = LRUCache(
            max(config["CACHE_MAX_BYTES"], 1), getsizeof=lambda entry: len(entry[0]))
        self.version: int | None = None  # the data version the entries belong to
        self.checked_at = float("-inf")
        self.stale_if_error = config["CACHE_STALE_IF_ERROR"]
        self.lock = threading.Lock()

    def clear(self) -> None:
        """Drop every entry and read the data version on the next request."""
        with self.lock:
            self.entries.clear()
            self.checked_at = float("-inf")

    def current_version(self) -> int:
        """The data version, read at most once per ``CACHE_CHECK_SECONDS`` (every entry
        goes when it moved)."""
        if time.monotonic() - self.checked_at >= self.check_seconds:
            version = changelog.data_version()
            with self.lock:
                if version != self.version:
                    self.entries.clear()
                    self.version = version
                self.checked_at = time.monotonic()
        return self.version  # type: ignore[return-value]

    def get(self, key: tuple[str, ...]) -> tuple[bytes, list[tuple[str, str]]] | None:
        with self.lock:
            return self.entries.get(key)

    def key(self) -> tuple[str, ...] | None:
        """The full URL and the representation-changing headers; None for a request that
        is never cached (not a read, credentials, a body, or outside ``CACHE_PATHS``)."""
        environ = request.environ
        path = environ.get("PATH_INFO", "")
        if (not self.enabled or environ["REQUEST_METHOD"] not in ("GET", "HEAD")
                or not path.startswith(self.paths) or "HTTP_AUTHORIZATION" in environ
                or "HTTP_DATA_SEQ" in environ or environ.get("CONTENT_LENGTH")
                or "HTTP_TRANSFER_ENCODING" in environ):
            return None
        return (request.host_url, environ.get("SCRIPT_NAME", ""), path,
                environ.get("QUERY_STRING", ""),
                *(environ.get(name, "") for name in self.key_headers))


def serve() -> Response | None:
    """Answer a cached request from the cache; remember a miss's key and data version."""
    cache: ResponseCache = current_app.extensions[EXTENSION]
    key = cache.key()
    if key is None:
        return None
    try:
        version = cache.current_version()
    except SQLAlchemyError:  # the database cannot say: a stored entry, while still allowed
        found = cache.get(key)
        if found is None or time.monotonic() - cache.checked_at > cache.stale_if_error:
            raise
        return hit(found)
    found = cache.get(key)
    if found is None:
        request.environ[KEY], request.environ[VERSION] = key, version
        return None
    return hit(found)


def hit(entry: tuple[bytes, list[tuple[str, str]]]) -> Response:
    """A stored response, to pass through the after hooks like any other."""
    body, headers = entry
    request.environ[HIT] = True
    return current_app.response_class(body, headers=headers)


def store(response: Response) -> None:
    """Keep a cacheable 200 (final headers, strong ETag set) for ``serve``."""
    version = request.environ.get(VERSION)
    if (version is None or replicas.behind(version) or request.method != "GET"
            or response.status_code != 200 or response.direct_passthrough
            or response.is_streamed or "Set-Cookie" in response.headers):
        return
    control = response.cache_control
    etag, weak = response.get_etag()
    if control.no_store or control.private or control.no_cache or not etag or weak:
        return
    headers = [(k, v) for k, v in response.headers.items() if k.lower() not in PER_REQUEST]
    cache: ResponseCache = current_app.extensions[EXTENSION]
    body = response.get_data()
    if len(body) <= cache.entries.maxsize:
        with cache.lock:
            if version == cache.version:
                cache.entries[request.environ[KEY]] = (body, headers)


def _after_commit(session: Session) -> None:
    if session.info.pop(changelog.CHANGED, False) and has_app_context():
        cache = current_app.extensions.get(EXTENSION)
        if cache is not None:
            cache.clear()


def _after_rollback(session: Session) -> None:
    session.info.pop(changelog.CHANGED, None)


event.listen(Session, "after_commit", _after_commit)
event.listen(Session, "after_rollback", _after_rollback)


def init_app(app: Flask) -> None:
    """Register after the rate limits: a hit is counted (or refused) like any read."""
    app.extensions[EXTENSION] = ResponseCache(app.config)
    app.before_request(serve)
