"""What a response tells clients and shared caches: its ETag, its Cache-Control, and 304.

One function, ``etag_of``, names a representation: GETs send it and writes compare
``If-Match`` with it (``representation_etag``), so the two can never disagree.

The Cache-Control policy (docs/performance.md explains the numbers):

- a successful GET: ``public, max-age=CACHE_MAX_AGE, stale-while-revalidate=CACHE_STALE_SECONDS,
  stale-if-error=CACHE_STALE_IF_ERROR`` — short, because any write may change it and a
  worker notices another worker's write within ``CACHE_CHECK_SECONDS``; after that a client
  revalidates with its ETag (a cheap 304); while the API cannot answer, a cache may keep
  answering with its copy (as the response cache does while the database is away);
- a GET sent with credentials: ``private, no-cache`` (shared caches must not keep it);
- an error: ``no-store`` (a 404 must not hide the event created a second later);
- a response that set its own Cache-Control (probes, metrics, files) keeps it;
- a public 200 also names what it shows (``Surrogate-Key``, keys.py) and how long a
  shared cache that purges by those keys may keep it (``Surrogate-Control``).
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Flask, Response, current_app, has_request_context, request
from marshmallow import Schema

from api.http import replicas
from api.http.cache import keys, responses

# Request headers make_conditional answers (without them it would only add a Date header).
CONDITIONAL = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MATCH", "HTTP_IF_MODIFIED_SINCE",
               "HTTP_IF_UNMODIFIED_SINCE", "HTTP_RANGE")


def etag_of(body: bytes) -> str:
    """The strong ETag of a representation: it changes exactly when the bytes change,
    except for the request's own URL root (links are absolute), so the ETag is the same
    through every allowed host name and an If-Match from one holds through another."""
    if has_request_context():
        body = body.replace(request.host_url.rstrip("/").encode(), b"")
    return hashlib.blake2b(body, digest_size=16).hexdigest()


def representation_etag(schema: Schema, obj: Any) -> str:
    """The ETag a GET of ``obj`` answers with: same schema, same JSON, same hash."""
    return etag_of(current_app.json.response(schema.dump(obj)).get_data())


def cache_control(config: dict[str, Any]) -> str:
    """The Cache-Control of a successful public GET."""
    value = f"public, max-age={config['CACHE_MAX_AGE']}"
    if config["CACHE_STALE_SECONDS"] > 0:
        value += f", stale-while-revalidate={config['CACHE_STALE_SECONDS']}"
    if config["CACHE_STALE_IF_ERROR"] > 0:
        value += f", stale-if-error={config['CACHE_STALE_IF_ERROR']}"
    return value


def set_cache_control(response: Response) -> None:
    """Apply the policy to a response that chose no Cache-Control of its own."""
    headers = response.headers
    if "Cache-Control" in headers:
        return
    if response.status_code >= 400:
        headers.add("Cache-Control", "no-store")
        return
    if request.method in ("GET", "HEAD"):
        headers.add("Cache-Control", "private, no-cache" if "Authorization" in request.headers
                    else cache_control(current_app.config))


def finish(response: Response) -> Response:
    """The last ``after_request`` hook: the policy's headers, the response kept by the
    response cache (a miss's final 200, before it may become a 304), and the 304."""
    set_cache_control(response)
    if request.method not in ("GET", "HEAD") or response.status_code != 200:
        return response
    if response.direct_passthrough or response.is_streamed:
        return response  # files: send_file already validates them
    if not request.environ.get(responses.HIT):
        if not response.get_etag()[0]:
            response.set_etag(etag_of(response.get_data()))
        if "Authorization" not in request.headers and not replicas.behind(
                request.environ.get(responses.VERSION)):  # what a replica had not yet: kept briefly
            keys.tag(response, current_app.config["SURROGATE_MAX_AGE"])
        responses.store(response)
    if not any(name in request.environ for name in CONDITIONAL):
        return response
    return response.make_conditional(request)


def init_app(app: Flask) -> None:
    """Register first: Flask runs ``after_request`` hooks in reverse, so this one runs
    last and sees (and stores) the final headers, CORS and security headers included."""
    app.after_request(finish)
