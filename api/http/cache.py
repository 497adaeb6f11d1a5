"""A per-worker cache of GET representations, so repeat reads cost almost nothing.

A stored entry is the body, status and representation headers (ETag, Link, ...) of a
200 response, keyed by the full request URL plus the headers that can change the
representation (``CACHE_KEY_HEADERS``). A hit is answered from ``before_request``: no
argument parsing, no query, no serialisation, and a matching ``If-None-Match`` gets its
304 there, without touching the database. The ``after_request`` hooks (CORS, logging,
...) still run on every hit; the ETag hook of ``caching.py`` skips it, as the entry
already carries its ETag and Cache-Control.

Freshness: every write calls ``store.touch()``, which bumps the ``data_version`` row in
its transaction. A worker reads that row at most once per ``CACHE_CHECK_SECONDS`` and
drops every entry when it moved, so another worker's (or the CLI's) write is visible
within that bound; a write committed through this worker invalidates at once.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from flask import Flask, Request, Response, current_app, has_app_context, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from sqlalchemy import event
from sqlalchemy.orm import Session

from api.domain import store
from api.http.conditional import CACHE_HIT, etag_of, set_cache_control

# Headers that are part of the representation; everything else (CORS, request ids,
# rate limits, ...) is added afresh by the after_request hooks on every response.
STORED_HEADERS = ("Content-Type", "ETag", "Link", "Cache-Control", "Content-Language", "Vary",
                  "Content-Disposition")
EXTENSION = "response_cache"


@dataclass(frozen=True)
class Entry:
    body: bytes
    status: int
    headers: tuple[tuple[str, str], ...]
    etag: str


class ResponseCache:
    """A bounded LRU of responses, valid for one data version."""

    def __init__(self, max_entries: int, max_bytes: int, check_seconds: float) -> None:
        self.max_entries, self.max_bytes, self.check_seconds = max_entries, max_bytes, check_seconds
        self.entries: OrderedDict[Any, Entry] = OrderedDict()
        self.size = 0
        self.version: int | None = None  # the data version the entries belong to
        self.checked_at = float("-inf")
        self.lock = threading.Lock()

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.size = 0

    def expire(self) -> None:
        """Force a version check on the next request (after a write by this worker)."""
        self.checked_at = float("-inf")
        self.clear()

    def current_version(self) -> int:
        """The data version, read from the database at most once per ``check_seconds``."""
        now = time.monotonic()
        if now - self.checked_at >= self.check_seconds:
            version = store.data_version()
            if version != self.version:
                self.clear()
                self.version = version
            self.checked_at = now
        return self.version  # type: ignore[return-value]

    def get(self, key: Any) -> Entry | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is not None:
                self.entries.move_to_end(key)
            return entry

    def put(self, key: Any, entry: Entry, version: int) -> None:
        """Store ``entry`` computed at ``version``, unless the version moved meanwhile."""
        cost = len(entry.body)
        if cost > self.max_bytes or self.max_entries <= 0:
            return
        with self.lock:
            if version != self.version:
                return
            old = self.entries.pop(key, None)
            if old is not None:
                self.size -= len(old.body)
            self.entries[key] = entry
            self.size += cost
            while len(self.entries) > self.max_entries or self.size > self.max_bytes:
                _, dropped = self.entries.popitem(last=False)
                self.size -= len(dropped.body)


def _cache() -> ResponseCache:
    return current_app.extensions[EXTENSION]


KEY, VERSION = "api.cache_key", "api.cache_version"  # what a request carries in its environ


def _key(environ: dict[str, Any]) -> tuple[str, ...] | None:
    """The full URL (scheme, host, path, query) and the representation-changing headers;
    None for a request that is never cached. Read from the WSGI environ (after any
    ProxyFix), which is much cheaper than building ``request.url``."""
    config = current_app.config
    path = environ.get("PATH_INFO", "")
    if (environ["REQUEST_METHOD"] not in ("GET", "HEAD") or "HTTP_AUTHORIZATION" in environ
            or not path.startswith(config["CACHE_PATHS"])):
        return None
    return (environ["wsgi.url_scheme"], environ.get("HTTP_HOST", ""),
            environ.get("SCRIPT_NAME", ""), path, environ.get("QUERY_STRING", ""),
            *(environ.get("HTTP_" + name.upper().replace("-", "_"), "")
              for name in config["CACHE_KEY_HEADERS"]))


def _serve_cached() -> Response | None:
    environ = request.environ
    key = environ[KEY] = _key(environ)
    if key is None:
        return None
    cache = _cache()
    environ[VERSION] = cache.current_version()
    entry = cache.get(key)
    if entry is None:
        return None
    environ[CACHE_HIT] = True
    if "HTTP_IF_NONE_MATCH" in environ and request.if_none_match.contains_weak(entry.etag):
        # The client has this representation: 304, no body.
        headers = [(k, v) for k, v in entry.headers if k in ("ETag", "Cache-Control", "Vary")]
        return current_app.response_class(status=304, headers=headers)
    return current_app.response_class(entry.body, status=entry.status, headers=entry.headers)


def _store(response: Response) -> Response:
    environ = request.environ
    version = environ.get(VERSION)
    if (
        version is None
        or environ.get(CACHE_HIT)
        or request.method != "GET"
        or response.status_code != 200
        or response.direct_passthrough
        or response.is_streamed
    ):
        return response
    set_cache_control(response)  # as the caching hook would: stored with the entry
    control = response.cache_control
    if control.no_store or control.private or control.no_cache:
        return response
    etag, weak = response.get_etag()
    if not etag:  # the same ETag the caching hook would give it
        etag, weak = etag_of(response.get_data()), False
        response.set_etag(etag)
    if weak:
        return response
    headers = tuple((k, v) for k, v in response.headers.items() if k in STORED_HEADERS)
    entry = Entry(response.get_data(), response.status_code, headers, etag)
    _cache().put(environ[KEY], entry, version)
    return response


class LazySessionInterface(SecureCookieSessionInterface):
    """Flask's cookie session, without building a signer on requests that send no cookie.

    The API itself uses no session; building the signer was a fifth of a cache hit's cost.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)


def _after_commit(session: Session) -> None:
    if session.info.pop(store.CHANGED, False) and has_app_context():
        cache = current_app.extensions.get(EXTENSION)
        if cache is not None:
            cache.expire()


def _after_rollback(session: Session) -> None:
    session.info.pop(store.CHANGED, None)


event.listen(Session, "after_commit", _after_commit)
event.listen(Session, "after_rollback", _after_rollback)


def init_app(app: Flask) -> None:
    """Register the cache; call it last in ``create_app`` so that other before_request
    hooks (rate limits, logging) run before a hit short-circuits the request."""
    app.extensions[EXTENSION] = ResponseCache(
        app.config["CACHE_MAX_ENTRIES"] if app.config["RESPONSE_CACHE"] else 0,
        app.config["CACHE_MAX_BYTES"],
        app.config["CACHE_CHECK_SECONDS"],
    )
    if app.config["RESPONSE_CACHE"]:
        app.session_interface = LazySessionInterface()
        app.before_request(_serve_cached)
        app.after_request(_store)
