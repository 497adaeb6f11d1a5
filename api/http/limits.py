"""Per-client rate limits: one budget for reads, a tighter one for writes.

Limits are chosen by HTTP method, not by route, so every route added later is covered.
Counters live in Redis when ``REDIS_URL`` is set (shared by every worker and instance),
else in this process's memory. Over the limit: 429 problem+json with ``Retry-After``;
every limited response carries ``X-RateLimit-Limit``/``-Remaining``/``-Reset``.
Probes and metrics are exempt.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, g, request
from flask_limiter import ApplicationLimit, Limiter
from flask_limiter.util import get_remote_address

READ_METHODS = ("GET", "HEAD", "OPTIONS")
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# Load balancers and Prometheus poll these: never throttle them.
EXEMPT_ENDPOINTS = frozenset({"meta.Health", "meta.Ready", "metrics"})


def _limit(setting: str) -> ApplicationLimit:
    kind = "reads" if setting == "RATELIMIT_READ" else "writes"
    return ApplicationLimit(
        lambda: current_app.config[setting],
        scope=setting.lower(),
        methods=READ_METHODS if kind == "reads" else WRITE_METHODS,
        error_message=lambda: (f"Too many {kind} from this client (limit: "
                               f"{current_app.config[setting]}); retry after Retry-After seconds."),
    )


def _remember_retry_after(response: Response) -> Response:
    g.own_retry_after = response.headers.get("Retry-After")
    return response


def _retry_after_only_when_refused(response: Response) -> Response:
    """The limiter sets ``Retry-After`` on every response; keep it on its own 429 only,
    and elsewhere the value the app chose (e.g. on a 503), if any."""
    if response.status_code != 429:
        own = g.pop("own_retry_after", None)
        if own is None:
            response.headers.pop("Retry-After", None)
        else:
            response.headers["Retry-After"] = own
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
    # after_request hooks run in reverse order: remember, limiter's headers, restore.
    app.after_request(_retry_after_only_when_refused)
    limiter.init_app(app)
    app.after_request(_remember_retry_after)
    return limiter
