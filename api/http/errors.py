"""Every error is RFC 9457 ``application/problem+json``: never HTML, never a stack trace.

Code raises :class:`Problem`, and :func:`render` alone turns it into the response. The
domain's errors (api/domain/errors.py), werkzeug's ``HTTPException`` (unknown routes, 405,
413, 429) and webargs' validation errors are converted to a ``Problem`` first.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, json, request
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

from api.domain.errors import DomainError, Gone, Invalid
from api.extensions import db
from schemas import flatten_errors

PROBLEM = "application/problem+json"
# Where smorest found invalid arguments -> how a client should read the detail.
LOCATIONS = {"query": "query parameter", "json": "field", "view_args": "path parameter",
             "headers": "header"}
# Headers of a framework error worth passing on to the client.
PASSED_HEADERS = frozenset({"Allow", "Retry-After"})


class Problem(Exception):
    """An error answer: ``status``, a ``detail`` for humans, response ``headers`` and
    ``extra`` members of the problem object (e.g. ``errors``)."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None,
                 **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail
        self.headers = headers or {}
        self.extra = extra


def get_or_404(model: type[db.Model], ident: Any, detail: str) -> Any:
    """The row ``ident`` of ``model``, or a 404 Problem with ``detail``."""
    found = db.session.get(model, ident)
    if found is None:
        raise Problem(404, detail)
    return found


def render(error: Problem) -> Response:
    """The problem+json response of ``error``: the one place errors become responses."""
    body = {
        "type": "about:blank",
        "title": HTTP_STATUS_CODES.get(error.status, "Error"),
        "status": error.status,
        "detail": error.detail,
        "instance": request.path,
        **error.extra,
    }
    response = current_app.response_class(
        json.dumps(body) + "\n", status=error.status, mimetype=PROBLEM, headers=error.headers
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def invalid(messages: dict[str, Any]) -> Problem:
    """Invalid arguments, by location then field (as webargs reports them): 422 for the
    body's fields, 400 when the URL (path, query, headers) or the body's syntax is wrong."""
    if not isinstance(messages.get("json", {}), dict):  # webargs: the body is not JSON
        return Problem(400, "The body is not valid JSON.", errors=messages)
    parts, status = [], 422
    for location, errors in messages.items():
        if location != "json":
            status = 400  # bad URL: the request itself is malformed
        kind = LOCATIONS.get(location, location)
        parts += [f"{kind} '{field}': {message}" for field, message in flatten_errors(errors)]
    return Problem(status, "Invalid " + "; ".join(parts), errors=messages)


def as_problem(error: DomainError) -> Problem:
    """The Problem of an error the domain or the query layer raised."""
    if isinstance(error, Invalid):
        return invalid(error.messages)
    return Problem(410 if isinstance(error, Gone) else 404, str(error))


def from_http_exception(error: HTTPException) -> Problem:
    """A werkzeug/flask-smorest error as a Problem (validation errors name each field)."""
    data = getattr(error, "data", None) or {}
    if "messages" in data:
        return invalid(data["messages"])
    headers = {k: v for k, v in error.get_headers() if k in PASSED_HEADERS}
    detail = error.description or ""
    if error.code == 404 and not detail.startswith("No "):
        detail = f"No resource at {request.path}. The index at / lists what exists."
    elif error.code == 405:
        allowed = headers.get("Allow")
        detail = f"{request.method} is not allowed on {request.path}; allowed: {allowed}."
    return Problem(error.code or 500, detail, headers=headers)


def handle_unexpected(error: Exception) -> Response:
    current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
    return render(Problem(500, InternalServerError.description))


def init_app(app: Flask) -> None:
    app.register_error_handler(Problem, render)
    app.register_error_handler(DomainError, lambda error: render(as_problem(error)))
    app.register_error_handler(HTTPException, lambda error: render(from_http_exception(error)))
    app.register_error_handler(Exception, handle_unexpected)
