"""The request pipeline: every hook a request passes through, registered here in one place.

``configure`` runs before the extensions bind (it shapes the engine and the WSGI app);
``init_app`` registers the pipeline after them. The order of ``PIPELINE`` is the order of
each ``init_app`` call; Flask runs ``before_request`` hooks in registration order and
``after_request`` hooks in reverse, so for a request:

    WSGI:   [PublicBase, when PUBLIC_BASE_URL] -> [TrustedProxyFix, when PROXY_COUNT]
            -> Flask, which refuses a host name not in TRUSTED_HOSTS (400, raised once
            the before hooks ran; trust lets the probes through)
    before: observability (request id, clock) -> replicas.only_reads (a GET, HEAD or
            OPTIONS reads without a transaction) -> trust (probes by address)
            -> security.check_request -> limits (count; 429) -> response cache (a hit is
            answered here, and passes through every after hook below)
            -> replicas.choose_reader (a replica for a read; only with REPLICA_URLS)
    view    (a write takes one of the host's write slots: slots.take, from @require)
    after:  replicas.answer_seq (Data-Seq) -> limits (X-RateLimit-*; Retry-After only
            on a 429) -> security.add_headers -> CORS -> cache policy (ETag,
            Cache-Control, surrogate keys; store the final 200; 304) -> observability
            (X-Request-ID, the log line, metrics)
    teardown: limits (Flask-Limiter's own), slots (give the write slot back), writes
            (roll back whatever a write did not commit); then the session is removed
            with the app context (faults.end_session, before Flask-SQLAlchemy's own: a
            database gone by then costs no 500)

Errors raised anywhere above are answered by errors.py (problem+json) and faults.py
(database errors), and the answer passes through the after hooks.

Session listeners are registered when their modules are imported (they apply to every
Session class, not to one app): the change log (api/domain/changelog.py: entries and
versions after each flush and before each commit, forgotten on rollback), the response
cache (expires after a commit that changed data: cache/responses.py), WebSub (gathers the
feeds before such a commit, pings the hub after it: websub.py), and api/models.py (the
deleted-event filter on every select, the date span of an event before it is saved).
Engine and pool listeners: faults.py (SQLite's foreign keys and write-ahead log on every
connection, at import; a ping of a connection that sat idle, per engine, from
``faults.watch_connections``, first in ``PIPELINE``) and deadlines.py (a deadline on
every PostgreSQL call, from the same step).
"""

from __future__ import annotations

from flask import Flask

from api.http import (
    apidoc,
    auth,
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
from api.http.cache import fragments, policy, responses
from api.http.jsonprovider import OrjsonProvider


def configure(app: Flask) -> None:
    """What must be set before the extensions bind: JSON, hosts and proxies, engine options."""
    app.json = OrjsonProvider(app)
    trust.configure(app)  # TRUSTED_HOSTS; X-Forwarded-* from TRUSTED_PROXIES only
    faults.init_app(app)  # engine options, the bounded <int:> converter, database errors


# In order; see the module docstring for what runs when.
PIPELINE = (
    faults.watch_connections,  # the engines exist now: ping connections that sat idle
    faults.end_sessions_quietly,  # after Flask-SQLAlchemy's teardown, so it runs before
    observability.init_app,  # first before hook; its after hook runs last
    replicas.init_reads,  # a request that only reads reads without a transaction
    policy.init_app,  # its after hook runs next to last: it stores the final headers
    fragments.init_app,  # the render memo (no hook)
    apidoc.init_app,  # before any blueprint: documents every error response
    auth.init_app,  # the bearer security scheme in the OpenAPI document
    cors.init_app,
    errors.init_app,
    writes.init_app,
    slots.init_app,  # writes under way at once, bounded per host
    trust.init_app,  # probes answer whatever the host name
    security.init_app,
    limits.init_app,
    responses.init_app,  # after the limits: a hit is counted like any read
    replicas.init_app,  # a read replica for a request that only reads; Data-Seq on writes
)


def init_app(app: Flask) -> None:
    for step in PIPELINE:
        step(app)
