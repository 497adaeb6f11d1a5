"""Caching, in one package: what a representation is called, how long it may be kept,
and the per-worker stores that keep reads cheap.

- policy.py     the ETag of a representation (GETs and writes' If-Match), Cache-Control, 304
- responses.py  the response cache: whole GET responses, valid for one data version
- fastpath.py   WSGI middleware answering cache hits and 304s before Flask
- fragments.py  events' JSON (and format pieces) memoised by ``(id, version)``

docs/performance.md explains the policy and the numbers behind it.
"""

from __future__ import annotations

from flask import Flask

from api.http.cache import fastpath, fragments, policy, responses
from api.http.cache.policy import etag_of, representation_etag
from api.http.cache.responses import init_version_errors

__all__ = ["etag_of", "init_app", "init_version_errors", "install", "representation_etag"]


def install(app: Flask) -> None:
    """Before the extensions bind: the fast path goes in front of Flask's WSGI app."""
    fastpath.install(app)


def init_app(app: Flask) -> None:
    """Register the stores and the policy hook. Call it before any other hook: its
    ``after_request`` then runs last, and stores the final headers of a response."""
    responses.init_app(app)
    fragments.init_app(app)
    policy.init_app(app)
