"""HTTP caching for every GET: a content ETag, Cache-Control, and 304 on a match."""

from __future__ import annotations

import hashlib

from flask import Flask, Response, current_app, has_request_context, request

# An If-Match header as clients send it: one or more entity tags exactly as an ETag
# header gave them (quoted, possibly weak), comma-separated; at most MAX_IF_MATCH long.
ETAG_PATTERN = r'^(W/)?"[\x21\x23-\x7e]*"(\s*,\s*(W/)?"[\x21\x23-\x7e]*")*$'
MAX_IF_MATCH = 1024
# Set in the WSGI environ by api/http/cache.py when it answers from its store.
CACHE_HIT = "api.cache_hit"


def etag_of(body: bytes) -> str:
    """The strong ETag of a representation: it changes exactly when the bytes change,
    except for the request's own URL root (links are absolute), so the ETag is the same
    through every allowed host name and an If-Match from one holds through another."""
    if has_request_context():
        body = body.replace(request.host_url.rstrip("/").encode(), b"")
    return hashlib.blake2b(body, digest_size=16).hexdigest()


def set_cache_control(response: Response) -> None:
    """The default Cache-Control of a GET response that has none: public, CACHE_MAX_AGE."""
    if "Cache-Control" not in response.headers:
        response.cache_control.public = True
        response.cache_control.max_age = current_app.config["CACHE_MAX_AGE"]


def _conditional(response: Response) -> Response:
    if request.method not in ("GET", "HEAD") or response.status_code != 200:
        return response
    if request.environ.get(CACHE_HIT):
        return response  # api/http/cache.py stored it with its ETag and already answered 304s
    if response.direct_passthrough or response.is_streamed:
        return response  # files: send_file already validates them
    if not response.get_etag()[0]:
        response.set_etag(etag_of(response.get_data()))
    set_cache_control(response)
    return response.make_conditional(request)


def init_app(app: Flask) -> None:
    app.after_request(_conditional)
