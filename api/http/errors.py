"""Every error is RFC 9457 ``application/problem+json``: never HTML, never a stack trace."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, json, request
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

from schemas import flatten_errors

PROBLEM = "application/problem+json"
# Where smorest found invalid arguments -> how a client should read the detail.
LOCATIONS = {"query": "query parameter", "json": "field", "view_args": "path parameter"}


def problem(
    status: int, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> Response:
    """A problem+json response; ``extra`` members extend the problem object."""
    body = {
        "type": "about:blank",
        "title": HTTP_STATUS_CODES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": request.path,
        **extra,
    }
    response = current_app.response_class(
        json.dumps(body) + "\n", status=status, mimetype=PROBLEM, headers=headers
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _invalid_arguments(messages: dict[str, Any]) -> Response:
    parts, status = [], 422
    for location, errors in messages.items():
        if location != "json":
            status = 400  # bad URL: the request itself is malformed
        kind = LOCATIONS.get(location, location)
        parts += [f"{kind} '{field}': {message}" for field, message in flatten_errors(errors)]
    return problem(status, "Invalid " + "; ".join(parts), errors=messages)


def handle_http_exception(error: HTTPException) -> Response:
    data = getattr(error, "data", None) or {}
    if "messages" in data:
        return _invalid_arguments(data["messages"])
    headers = {k: v for k, v in error.get_headers() if k in {"Allow", "Retry-After"}}
    detail = error.description or ""
    if error.code == 404 and not detail.startswith("No "):
        detail = f"No resource at {request.path}. The index at / lists what exists."
    elif error.code == 405:
        allowed = headers.get("Allow")
        detail = f"{request.method} is not allowed on {request.path}; allowed: {allowed}."
    return problem(error.code or 500, detail, headers=headers)


def handle_unexpected(error: Exception) -> Response:
    current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
    return problem(500, InternalServerError.description)


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
