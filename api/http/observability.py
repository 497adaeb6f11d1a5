"""What operators see: one JSON log line per request, a request id, Prometheus metrics.

The request log holds the request id, method, path (never the query string), the route,
status, duration and response size. It never holds header values (no Authorization, no
tokens, no cookies), query values (``q`` may be anything a person typed), bodies or the
client address. Under gunicorn set ``PROMETHEUS_MULTIPROC_DIR`` to an empty directory so
/metrics adds up every worker.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
import traceback
from typing import Any

import orjson
from flask import Flask, Response, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from api.extensions import smorest

REQUEST_ID = "X-Request-ID"
RID, ENDPOINT = "api.request_id", "api.endpoint"  # the request's id and route, in the environ
# A client's id is kept only when short and made of safe characters; else we make one.
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
ACCESS_LOG = logging.getLogger("api.access")

REQUESTS = Counter(
    "http_requests_total", "HTTP requests answered.", ["method", "endpoint", "status"]
)
LATENCY = Histogram(
    "http_request_duration_seconds", "Time to answer an HTTP request.",
    ["method", "endpoint", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


# Exceptions from these packages quote the statement's values (a request body's text, or
# PostgreSQL's "Key (id)=(...) already exists"): logged by class and constraint only.
QUOTING_VALUES = ("sqlalchemy", "psycopg", "sqlite3")


def _constraint(error: BaseException) -> str | None:
    orig = getattr(error, "orig", error)
    name = getattr(getattr(orig, "diag", None), "constraint_name", None)  # psycopg
    if name is None and type(orig).__module__ == "sqlite3" and "failed: " in str(orig):
        name = str(orig).split("failed: ", 1)[1]  # "UNIQUE constraint failed: t.col"
    return name


def describe(error: BaseException) -> str:
    """An exception's last traceback line, without any value a database error quotes."""
    kind = f"{type(error).__module__}.{type(error).__qualname__}"
    if type(error).__module__.split(".")[0] not in QUOTING_VALUES:
        return "".join(traceback.format_exception_only(error)).rstrip()
    constraint = _constraint(error)
    return kind + (f" (constraint: {constraint})" if constraint else " (message withheld)")


def safe_traceback(error: BaseException) -> str:
    """The traceback of ``error`` and its causes: every frame, no database message."""
    chain: list[BaseException] = []
    while error is not None and error not in chain:
        chain.append(error)
        error = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    parts = ["Traceback (most recent call last):\n" + "".join(
        traceback.format_tb(each.__traceback__)) + describe(each) for each in reversed(chain)]
    return "\n\nThe above exception led to the following:\n\n".join(parts)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and any ``extra`` fields."""

    FIELDS = ("request_id", "method", "path", "endpoint", "status", "duration_ms", "bytes")

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}+00:00",  # isoformat(timespec="milliseconds"), UTC
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: getattr(record, k) for k in self.FIELDS if hasattr(record, k)})
        if "request_id" not in entry and (rid := _current_request_id()):
            entry["request_id"] = rid
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()

    def formatException(self, exc_info: Any) -> str:
        return safe_traceback(exc_info[1])


def _current_request_id() -> str | None:
    try:
        return request.environ.get(RID)
    except RuntimeError:  # outside a request
        return None


def _not_a_dev_server_request_line(record: logging.LogRecord) -> bool:
    """False for the development server's own line per request (werkzeug's
    ``log_request``): the request log already writes one, so each request shows once."""
    return not str(record.msg).endswith('"%s" %s %s')


def configure_logging(app: Flask) -> None:
    """JSON lines on stderr for the app's logger and the request log."""
    werkzeug_log = logging.getLogger("werkzeug")
    if _not_a_dev_server_request_line not in werkzeug_log.filters:
        werkzeug_log.addFilter(_not_a_dev_server_request_line)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    app.logger.handlers = [handler]  # "api": the request log "api.access" passes through it
    app.logger.setLevel(app.config["LOG_LEVEL"])
    app.logger.propagate = app.testing  # pytest's caplog listens on the root logger
    ACCESS_LOG.setLevel(app.config["LOG_LEVEL"])


def request_id(given: str | None = None) -> str:
    """The id of this request: the client's ``X-Request-ID`` if it is safe, else a new one."""
    if given is None:
        given = request.headers.get(REQUEST_ID, "")
    return given if SAFE_REQUEST_ID.fullmatch(given) else os.urandom(16).hex()


_SERIES: dict[tuple[str, str, str], tuple[Any, Any]] = {}  # labelled metrics, looked up once
# The methods metrics and logs name; any other (a client may make up millions) is "other".
METHODS = frozenset({"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"})


def record(method: str, path: str, endpoint: str, status: int, elapsed: float, size: int | None,
           rid: str | None) -> None:
    """Count, time and log one answered request (Flask's path and the cache's fast path)."""
    method = method if method in METHODS else "other"
    labels = (method, endpoint, str(status))
    series = _SERIES.get(labels)
    if series is None:
        series = _SERIES[labels] = (REQUESTS.labels(*labels), LATENCY.labels(*labels))
    series[0].inc()
    series[1].observe(elapsed)
    if ACCESS_LOG.isEnabledFor(logging.INFO):
        ACCESS_LOG.handle(_access_record({
            "request_id": rid, "method": method, "path": path[:300], "endpoint": endpoint,
            "status": status, "duration_ms": round(elapsed * 1000, 2), "bytes": size}))


# What ACCESS_LOG.info("request", extra=...) would build, made from a template: building
# a LogRecord (caller lookup, thread and process names) cost more than the rest of a
# cache hit.
_TEMPLATE = logging.LogRecord(ACCESS_LOG.name, logging.INFO, __file__, 0, "request", (), None)


def _access_record(fields: dict[str, Any]) -> logging.LogRecord:
    record = logging.LogRecord.__new__(logging.LogRecord)
    now = time.time()
    record.__dict__.update(_TEMPLATE.__dict__, created=now, msecs=now % 1 * 1000,
                           relativeCreated=(now - logging._startTime) * 1000, **fields)
    return record


class Observed:
    """WSGI middleware around the whole app, the cache's fast path included: every request
    gets its id (``X-Request-ID``, the client's if safe; ``RID`` in the environ for the
    app's own log lines), and once answered, its log line and metrics (``record``).

    The route's name comes from Flask's request (werkzeug keeps it in the environ while
    the response starts), or for a cache hit from the stored entry (``ENDPOINT``); the
    size from Content-Length."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        started = time.perf_counter()
        rid = environ[RID] = request_id(environ.get("HTTP_X_REQUEST_ID", ""))
        answer: list[Any] = []

        def respond(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers.append((REQUEST_ID, rid))
            answer[:] = status, headers, _endpoint(environ)  # Flask's request is still here
            return start_response(status, headers, exc_info)

        body = self.app(environ, respond)
        if answer:
            status, headers, endpoint = answer
            size = next((int(v) for k, v in headers if k.lower() == "content-length"), None)
            record(environ["REQUEST_METHOD"], _path(environ), endpoint, int(status[:3]),
                   time.perf_counter() - started, size, rid)
        return body


def _path(environ: dict[str, Any]) -> str:
    return environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8", "replace")


def _endpoint(environ: dict[str, Any]) -> str:
    """The route that answered, as a bounded metrics label."""
    if ENDPOINT in environ:
        return environ[ENDPOINT]
    flask_request = environ.get("werkzeug.request")
    return getattr(flask_request, "endpoint", None) or "unmatched"


def metrics() -> Response:
    """Prometheus text format; under gunicorn, the sum over every worker."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest()
    return Response(body, content_type=CONTENT_TYPE_LATEST,
                    headers={"Cache-Control": "no-store"})


def install(app: Flask) -> None:
    """Wrap the WSGI app (the fast path included): call after ``cache.install``."""
    app.wsgi_app = Observed(app.wsgi_app)  # type: ignore[method-assign]


def init_app(app: Flask) -> None:
    configure_logging(app)
    app.add_url_rule("/metrics", "metrics", metrics)
    smorest.spec.path(rule=next(app.url_map.iter_rules("metrics")), parameters=[], operations={
        "get": {
            "operationId": "get_metrics",
            "summary": "Metrics in Prometheus text format",
            "description": "Request counts and latency histograms by endpoint and status.",
            "tags": ["meta"],
            "responses": {"200": {"description": "OK", "content": {
                "text/plain": {"schema": {"type": "string"}}}}},
        }
    })
