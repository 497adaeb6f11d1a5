"""What operators see: one JSON log line per request, a request id, Prometheus metrics.

The request log holds the request id, method, path (never the query string), the route,
status, duration and the body bytes sent (none for a 304 or a HEAD). It never holds header
values (no Authorization, no tokens, no cookies), query values (``q`` may be anything a
person typed), bodies or the client address. Under gunicorn set
``PROMETHEUS_MULTIPROC_DIR`` to an empty directory so /metrics adds up every worker.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
import traceback
from typing import Any

from flask import Flask, Response, has_request_context, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from pythonjsonlogger.orjson import OrjsonFormatter

from api.extensions import smorest

REQUEST_ID = "X-Request-ID"
RID, STARTED = "api.request_id", "api.started"  # in the request's environ
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


class JsonFormatter(OrjsonFormatter):
    """One JSON object per line (python-json-logger): time, level, logger, message, any
    ``extra`` fields, the request's id within a request, and a traceback without values."""

    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s %(message)s", timestamp="time",
                         rename_fields={"levelname": "level", "name": "logger",
                                        "exc_info": "exception"})

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord,
                   message_dict: dict[str, Any]) -> None:
        super().add_fields(log_data, record, message_dict)
        log_data["level"] = record.levelname.lower()
        if "request_id" not in log_data and has_request_context():
            log_data["request_id"] = request.environ.get(RID)

    def formatException(self, exc_info: Any) -> str:
        return safe_traceback(exc_info[1])


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


# The methods metrics and logs name; any other (a client may make up millions) is "other".
METHODS = frozenset({"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"})


def record(method: str, path: str, endpoint: str, status: int, elapsed: float, size: int | None,
           rid: str | None) -> None:
    """Count, time and log one answered request."""
    method = method if method in METHODS else "other"
    REQUESTS.labels(method, endpoint, status).inc()
    LATENCY.labels(method, endpoint, status).observe(elapsed)
    ACCESS_LOG.info("request", extra={
        "request_id": rid, "method": method, "path": path[:300], "endpoint": endpoint,
        "status": status, "duration_ms": round(elapsed * 1000, 2), "bytes": size})


def _start() -> None:
    request.environ[STARTED], request.environ[RID] = time.perf_counter(), request_id()


def _finish(response: Response) -> Response:
    """The request's id on its answer, and its log line and metrics (the last hook: the
    status is final, a 304 included)."""
    environ, now = request.environ, time.perf_counter()
    rid = response.headers[REQUEST_ID] = environ.get(RID) or request_id()
    status = response.status_code
    sent = 0 if status == 304 or request.method == "HEAD" else response.content_length
    record(request.method, request.path, request.endpoint or "unmatched", status,
           now - environ.get(STARTED, now), sent, rid)
    return response


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


def init_app(app: Flask) -> None:
    """Register first: ``_start`` runs before every other hook, ``_finish`` after them."""
    configure_logging(app)
    app.before_request(_start)
    app.after_request(_finish)
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
