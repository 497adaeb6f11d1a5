"""The per-worker response cache: whole GET responses, valid for one data version.

An entry is the body and final headers of a 200 response (everything but what is new on
every request: the request id, rate-limit counters, Date, Content-Length), keyed by the
full URL plus the headers that can change the representation (``CACHE_KEY_HEADERS``, and
``Origin`` when CORS answers differ by origin). Entries are stored by the last
``after_request`` hook, so they hold the CORS and security headers too, and are served by
the WSGI fast path (fastpath.py) before Flask sees the request.

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
from dataclasses import dataclass, field
from typing import Any

from cachetools import LRUCache
from flask import Flask, Response, current_app, has_app_context, request
from sqlalchemy import event
from sqlalchemy.orm import Session

from api.domain import changelog
from api.http import replicas
from api.http.cors import cors_origins

EXTENSION = "response_cache"
# What the WSGI environ of a cacheable miss carries to the storing hook.
KEY, VERSION = "api.cache_key", "api.cache_version"
# What the fast path's data-version check raised (e.g. the database is down).
VERSION_ERROR = "api.cache_version_error"
# Headers that are new on every response, never stored (lower case).
PER_REQUEST = frozenset({"x-request-id", "x-ratelimit-limit", "x-ratelimit-remaining",
                         "x-ratelimit-reset", "retry-after", "date", "content-length"})
# Dropped from a 304 (RFC 9110 15.4.5: it describes the stored response, sends no content).
ENTITY = frozenset({"content-type", "content-length", "content-language", "content-disposition",
                    "content-encoding", "content-range", "content-md5", "content-location"})


@dataclass(frozen=True)
class Entry:
    body: bytes
    headers: tuple[tuple[str, str], ...]  # final headers but the per-request ones
    etag: str
    endpoint: str
    # Precomputed for the fast path: the headers of the 200 and of the 304.
    full: list[tuple[str, str]] = field(init=False)
    not_modified: list[tuple[str, str]] = field(init=False)

    def __post_init__(self) -> None:
        full = [*self.headers, ("Content-Length", str(len(self.body)))]
        object.__setattr__(self, "full", full)
        object.__setattr__(self, "not_modified",
                           [(k, v) for k, v in self.headers if k.lower() not in ENTITY])


class BoundedLRU(LRUCache):
    """cachetools' LRU bounded by total body bytes, and by a number of entries too."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        super().__init__(max(max_bytes, 1), getsizeof=lambda entry: len(entry.body))
        self.max_entries = max_entries

    def __setitem__(self, key: Any, value: Entry) -> None:
        if key not in self:
            while self and len(self) >= self.max_entries:
                self.popitem()
        super().__setitem__(key, value)


class ResponseCache:
    """A bounded LRU of responses, valid for one data version."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.enabled = bool(config["RESPONSE_CACHE"]) and config["CACHE_MAX_ENTRIES"] > 0
        self.max_bytes = config["CACHE_MAX_BYTES"]
        self.check_seconds = config["CACHE_CHECK_SECONDS"]
        self.paths = tuple(config["CACHE_PATHS"])
        self.key_headers = tuple("HTTP_" + name.upper().replace("-", "_")
                                 for name in config["CACHE_KEY_HEADERS"])
        if cors_origins(config) != ["*"]:  # CORS headers then depend on the origin
            self.key_headers += ("HTTP_ORIGIN",)
        # A record's URL is its TimeGate: Accept-Datetime turns its answer into a redirect.
        self.key_headers += ("HTTP_ACCEPT_DATETIME",)
        self.entries = BoundedLRU(config["CACHE_MAX_ENTRIES"], self.max_bytes)
        self.version: int | None = None  # the data version the entries belong to
        self.checked_at = float("-inf")
        self.stale_if_error = config["CACHE_STALE_IF_ERROR"]
        self.lock = threading.Lock()

    @property
    def size(self) -> int:
        """Bytes of body held."""
        return self.entries.currsize

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()

    def expire(self) -> None:
        """Force a version check on the next request (after a write by this worker)."""
        self.checked_at = float("-inf")
        self.clear()

    def stale(self) -> bool:
        """Whether the data version is due to be read again."""
        return time.monotonic() - self.checked_at >= self.check_seconds

    def usable_on_error(self) -> bool:
        """Whether entries may be served while the data version cannot be read."""
        return time.monotonic() - self.checked_at <= self.stale_if_error

    def check_version(self) -> int:
        """Read the data version (in an app context); drop every entry if it moved."""
        version = changelog.data_version()
        if version != self.version:
            self.clear()
            self.version = version
        self.checked_at = time.monotonic()
        return version

    def key(self, environ: dict[str, Any]) -> tuple[str, ...] | None:
        """The full URL and the representation-changing headers; None for a request that
        is never cached (not a read, credentials, a body, or outside ``CACHE_PATHS``)."""
        path = environ.get("PATH_INFO", "")
        if (environ["REQUEST_METHOD"] not in ("GET", "HEAD") or not path.startswith(self.paths)
                or "HTTP_AUTHORIZATION" in environ or "HTTP_DATA_SEQ" in environ
                or environ.get("CONTENT_LENGTH")
                or "HTTP_TRANSFER_ENCODING" in environ):
            return None
        return (environ["wsgi.url_scheme"], environ.get("HTTP_HOST", ""),
                environ.get("SCRIPT_NAME", ""), path, environ.get("QUERY_STRING", ""),
                *(environ.get(name, "") for name in self.key_headers))

    def get(self, key: Any) -> Entry | None:
        with self.lock:
            return self.entries.get(key)

    def put(self, key: Any, entry: Entry, version: int) -> None:
        """Store ``entry`` computed at ``version``, unless the version moved meanwhile."""
        if len(entry.body) > self.max_bytes:
            return
        with self.lock:
            if version == self.version:
                self.entries[key] = entry


def store_response(response: Response) -> None:
    """Keep a cacheable 200 (final headers, ETag set) for the fast path to serve."""
    environ = request.environ
    version = environ.get(VERSION)
    if (version is None or replicas.behind(version) or request.method != "GET"
            or response.status_code != 200
            or response.direct_passthrough or response.is_streamed
            or "Set-Cookie" in response.headers):
        return
    control = response.cache_control
    etag, weak = response.get_etag()
    if control.no_store or control.private or control.no_cache or not etag or weak:
        return
    headers = tuple((k, v) for k, v in response.headers.items() if k.lower() not in PER_REQUEST)
    entry = Entry(response.get_data(), headers, etag, request.endpoint or "unmatched")
    current_app.extensions[EXTENSION].put(environ[KEY], entry, version)


def _after_commit(session: Session) -> None:
    if session.info.pop(changelog.CHANGED, False) and has_app_context():
        cache = current_app.extensions.get(EXTENSION)
        if cache is not None:
            cache.expire()


def _after_rollback(session: Session) -> None:
    session.info.pop(changelog.CHANGED, None)


event.listen(Session, "after_commit", _after_commit)
event.listen(Session, "after_rollback", _after_rollback)


def _raise_version_error() -> None:
    """The fast path could not read the data version: answer as any request meeting that
    error would (api/http/faults.py: 503), without trying the database a second time."""
    error = request.environ.get(VERSION_ERROR)
    if error is not None:
        raise error


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = ResponseCache(app.config)


def init_version_errors(app: Flask) -> None:
    """Register last: the other ``before_request`` hooks (host check, rate limits) answer
    first, as they would before any view met the error."""
    app.before_request(_raise_version_error)
