"""Per-client rate limits: one budget for reads, a tighter one for writes.

Limits are chosen by HTTP method, not by route, so every route added later is covered.
Counters live in Redis when ``REDIS_URL`` is set (shared by every worker and instance),
else in this process's memory. Over the limit: 429 problem+json with ``Retry-After``;
every limited response carries ``X-RateLimit-Limit``/``-Remaining``/``-Reset``.
Probes and metrics are exempt.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request
from flask_limiter import ApplicationLimit, Limiter
from flask_limiter.util import get_remote_address

READ_METHODS = ("GET", "HEAD", "OPTIONS")
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# Load balancers and Prometheus poll these: never throttle them.
EXEMPT_ENDPOINTS = frozenset({"meta.Health", "meta.Ready", "metrics"})


def _limit(setting: str) -> ApplicationLimit:
    return ApplicationLimit(
        lambda: current_app.config[setting],
        scope=setting.lower(),
        methods=READ_METHODS if setting == "RATELIMIT_READ" else WRITE_METHODS,
    )


def _retry_after_only_when_refused(response: Response) -> Response:
    """The limiter sends ``Retry-After`` on every response; it means something on 429/503."""
    if response.status_code not in (429, 503):
        response.headers.pop("Retry-After", None)
    return response


def init_app(app: Flask) -> Limiter:
    """Attach a limiter of this app's own (its memory counters are not shared with others)."""
    app.config.setdefault("RATELIMIT_ENABLED", not app.testing)
    redis_url = app.config["REDIS_URL"]
    limiter = Limiter(
        key_func=get_remote_address,  # the client address, behind PROXY_COUNT proxies
        application_limits=[_limit("RATELIMIT_READ"), _limit("RATELIMIT_WRITE")],
        headers_enabled=True,
        storage_uri=redis_url or "memory://",
        strategy="moving-window",
        key_prefix=app.config.get("RATELIMIT_KEY_PREFIX", "mission-timeline"),
        # A Redis outage must not take the API down: count in memory meanwhile.
        swallow_errors=True,
        in_memory_fallback_enabled=bool(redis_url),
    )
    limiter.request_filter(lambda: request.endpoint in EXEMPT_ENDPOINTS)
    app.after_request(_retry_after_only_when_refused)  # runs after the limiter's own hook
    limiter.init_app(app)
    return limiter
