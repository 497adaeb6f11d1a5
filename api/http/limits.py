"""Per-client rate limits, chosen by HTTP method (so every route is covered): one budget
for reads, a tighter one for writes. Over the limit: 429 problem+json with Retry-After;
limited responses carry ``X-RateLimit-*`` headers. Probes and metrics are exempt.

Counters live in Redis when ``REDIS_URL`` is set, else in this process's memory. Every
Redis call is bounded by ``REDIS_TIMEOUT``; when Redis fails the limiter counts in this
worker's memory, logs the switch (and the return), and re-checks Redis now and then.
``/readyz`` reports the state.
"""

from __future__ import annotations

import logging
import sys

from flask import Flask, Response, current_app, g, has_request_context, request
from flask_limiter import ApplicationLimit, Limiter
from flask_limiter.util import get_remote_address
from sqlalchemy import make_url  # its rendering of a URL hides the password

READ_METHODS = ("GET", "HEAD", "OPTIONS")
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# Load balancers and Prometheus poll these: never throttle them.
EXEMPT_ENDPOINTS = frozenset({"meta.Health", "meta.Ready", "metrics"})
EXTENSION = "rate_limiter"
KEY_PREFIX = "mission-timeline"


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
    """Keep the limiter's ``Retry-After`` on its own 429 only; elsewhere the app's, if any."""
    if response.status_code != 429:
        own = g.pop("own_retry_after", None)
        if own is None:
            response.headers.pop("Retry-After", None)
        else:
            response.headers["Retry-After"] = own
    return response


class _StorageEvents(logging.Filter):
    """Flask-Limiter's switch to and from its memory fallback, said through the app's log
    (its own logger has no handler)."""

    MESSAGES = {
        "Rate limit storage unreachable": ("warning", "Rate-limit storage {url} unreachable "
                                           "({error}): counting in this worker's memory until "
                                           "it answers."),
        "Rate limit storage recovered": ("info", "Rate-limit storage {url} answers again: "
                                         "counting there."),
    }

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        for start, (level, text) in self.MESSAGES.items():
            if message.startswith(start) and has_request_context():
                error = sys.exc_info()[1]
                getattr(current_app.logger, level)(text.format(
                    url=make_url(current_app.config["REDIS_URL"]).render_as_string(),
                    error=type(error).__name__ if error else "no answer"))
                return False
        return True


def storage_state(app: Flask) -> str | None:
    """``None`` without Redis, else ``"ok"`` or ``"unreachable"``."""
    limiter: Limiter | None = app.extensions.get(EXTENSION)
    if not app.config["REDIS_URL"] or limiter is None or not limiter.enabled:
        return None  # limits off: Redis is not used at all
    return "ok" if limiter.storage.check() else "unreachable"


def init_app(app: Flask) -> Limiter:
    """Attach a limiter of this app's own (its memory counters are not shared with others)."""
    app.config.setdefault("RATELIMIT_ENABLED", not app.testing)
    redis_url, timeout = app.config["REDIS_URL"], app.config["REDIS_TIMEOUT"]
    limiter = Limiter(
        key_func=get_remote_address,  # the client address, behind PROXY_COUNT proxies
        application_limits=[_limit("RATELIMIT_READ"), _limit("RATELIMIT_WRITE")],
        headers_enabled=True,
        storage_uri=redis_url or "memory://",
        # No Redis call may wait longer than REDIS_TIMEOUT seconds.
        storage_options={"socket_timeout": timeout, "socket_connect_timeout": timeout}
        if redis_url else {},
        strategy="moving-window",
        key_prefix=app.config.get("RATELIMIT_KEY_PREFIX", KEY_PREFIX),
        # A Redis outage must not take the API down: count in memory meanwhile.
        swallow_errors=True,
        in_memory_fallback_enabled=bool(redis_url),
    )
    limiter.request_filter(lambda: request.endpoint in EXEMPT_ENDPOINTS)
    # after_request hooks run in reverse order: remember, limiter's headers, restore (with
    # limits off, the limiter adds no hook and sets no header: neither do we).
    if app.config["RATELIMIT_ENABLED"]:
        app.after_request(_retry_after_only_when_refused)
    limiter.init_app(app)
    if app.config["RATELIMIT_ENABLED"]:
        app.after_request(_remember_retry_after)
    app.extensions[EXTENSION] = limiter
    logger = logging.getLogger("flask-limiter")
    logger.setLevel(min(logger.getEffectiveLevel(), logging.INFO))  # "recovered" is info
    if not any(isinstance(f, _StorageEvents) for f in logger.filters):
        logger.addFilter(_StorageEvents())
    return limiter
