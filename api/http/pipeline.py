"""The request pipeline: every hook a request passes through, registered here in one place.

``configure`` runs before the extensions bind (it shapes the engine and the WSGI app);
``init_app`` registers the pipeline after them. The order of ``PIPELINE`` is the order of
each ``init_app`` call; Flask runs ``before_request`` hooks in registration order and
``after_request`` hooks in reverse, so for a request:

    WSGI:   [TrustedProxyFix] -> observability (request id; log line and metrics once
            answered) -> cache fast path: a cache hit or a 304 is answered here, with its
            stored headers plus a fresh rate-limit count (entries exist only for host
            names trust.check_host let through)
    before: replicas.choose_reader (a replica for a read) -> trust.check_host
            -> security.check_request -> limits
            -> cache (raises the error of a failed data-version check, if any)
    view    (a write takes one of the host's write slots: slots.take, from @require)
    after:  limits (headers) -> security.add_headers -> replicas.answer_seq (Data-Seq)
            -> CORS -> cache policy (ETag, Cache-Control, surrogate keys; store the final
            200; 304)
    teardown: slots (give the write slot back), writes (roll back whatever a write did
            not commit), then the session is removed (faults.end_session: a database
            gone by then costs no 500)

Session listeners, registered by the modules that own them: the change log
(api/domain/changelog.py: entries and versions before each commit), the response cache
(expires after a commit that changed data), WebSub (pings the hub after such a commit),
and the deleted-event filter and date-span derivation of api/models.py.
"""

from __future__ import annotations

from flask import Flask

from api.http import (
    apidoc,
    auth,
    cache,
    cors,
    errors,
    faults,
    limits,
    observability,
    replicas,
    security,
    slots,
    trust,
    writes,
)
from api.http.jsonprovider import OrjsonProvider


def configure(app: Flask) -> None:
    """What must be set before the extensions bind: JSON, proxies, engine options."""
    app.json = OrjsonProvider(app)
    cache.install(app)  # the fast path, in front of Flask and behind the proxy fix
    observability.install(app)  # request ids, log lines, metrics: around the fast path too
    trust.configure(app)  # X-Forwarded-* from TRUSTED_PROXIES only
    faults.init_app(app)  # engine options, the bounded <int:> converter, database errors


# In order; see the module docstring for what runs when.
PIPELINE = (
    faults.watch_connections,  # the engines exist now: ping connections that sat idle
    faults.end_sessions_quietly,  # after Flask-SQLAlchemy's teardown, so it runs before
    cache.init_app,  # first hook: its after_request runs last, so it stores the final headers
    apidoc.init_app,  # before any blueprint: documents every error response
    auth.init_app,  # the bearer security scheme in the OpenAPI document
    cors.init_app,
    errors.init_app,
    writes.init_app,
    replicas.init_app,  # a read replica for a request that only reads; Data-Seq on writes
    slots.init_app,  # writes under way at once, bounded per host
    trust.init_app,  # unknown host names: 400 before anything renders
    security.init_app,
    limits.init_app,
    observability.init_app,
    cache.init_version_errors,  # last before_request: a failed data-version check of the
    # fast path surfaces after the host check and rate limits, as in any view
)


def init_app(app: Flask) -> None:
    for step in PIPELINE:
        step(app)
