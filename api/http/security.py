"""Hardening that applies to every route, including the ones added later.

- Request bodies: larger than ``MAX_CONTENT_LENGTH`` is a 413 (chunked ones too). A body on a write
  (POST/PUT/PATCH) must have a media type its view ``@accepts`` (``writes.body`` marks
  every JSON body so), JSON by default, else 415: the one place 415 is decided.
- NUL characters in the path or query are a 400: PostgreSQL cannot even compare them.
- Response headers: ``nosniff``, a referrer policy, a Content-Security-Policy (strict for
  data, relaxed for HTML pages such as /docs and /embed, but never inline scripts) and
  framing only where allowed.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request

from api.http.errors import Problem

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})
# Data never runs or embeds anything.
DATA_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# Config keys (set by the embed page) whose URL origins HTML pages load from.
ASSET_URL_KEYS = ("TIMELINEJS_URL", "EMBED_API_URL")


def is_json(mimetype: str) -> bool:
    """``application/json`` or a structured ``+json`` type (e.g. merge-patch+json)."""
    return mimetype == "application/json" or (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    )


def _has_body() -> bool:
    return bool(request.content_length) or "chunked" in request.headers.get(
        "Transfer-Encoding", ""
    ).lower()


def accepts(*types: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a view with the request body media types it reads (its ``accepts`` attribute)."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        view.accepts = types  # type: ignore[attr-defined]
        return view

    return decorator


def accepted_types() -> tuple[str, ...]:
    """The body types the request's view ``@accepts``; () if it does not say."""
    view = current_app.view_functions.get(request.endpoint or "")
    handler = getattr(getattr(view, "view_class", None), request.method.lower(), view)
    return getattr(handler, "accepts", ())


def check_request() -> None:
    """Refuse what no route can handle, before any route reads the request."""
    if "\x00" in request.path:
        raise Problem(400, "The path cannot contain NUL characters.")
    if b"%00" in request.query_string:  # the only way a NUL gets into a query
        _refuse_nul_in_query()
    if (request.method in WRITE_METHODS or request.content_length
            or "Transfer-Encoding" in request.headers):  # else: no body, nothing to check
        _check_body()


def _check_body() -> None:
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if limit is not None and ((request.content_length or 0) > limit or _unsized_over(limit)):
        raise Problem(413, f"The request body is larger than {limit} bytes.")
    # A body of a type the view does not read, or none where the view needs one: 415.
    if (request.method in WRITE_METHODS and request.routing_exception is None
            and (_has_body() or accepted_types()) and not _acceptable(request.mimetype)):
        wanted = ", ".join(accepted_types() or ("application/json",))
        got = request.mimetype or "no Content-Type"
        raise Problem(415, f"Send the body as {wanted}, not {got}.",
                      headers={"Accept-Post": wanted, "Accept-Patch": wanted})


def _refuse_nul_in_query() -> None:
    for name, value in request.args.items(multi=True):
        if "\x00" in name or "\x00" in value:
            raise Problem(400, f"Invalid query parameter '{name.replace(chr(0), '')}': "
                               "NUL characters are not allowed.")


def _unsized_over(limit: int) -> bool:
    """Whether a body without Content-Length (chunked, de-chunked by the server) is over
    ``limit``. Werkzeug would silently cut it at the limit (a truncated body, then a
    misleading 400), so it is read here, at most ``limit + 1`` bytes, and kept for the view."""
    environ = request.environ
    if (request.content_length is not None or "HTTP_TRANSFER_ENCODING" not in environ
            or not environ.get("wsgi.input_terminated")):
        return False  # sized, or no body at all
    try:
        body = environ["wsgi.input"].read(limit + 1)
    except Exception as error:  # the server's chunk parser (gunicorn's ParseException...)
        raise Problem(400, "The request body's chunked encoding is malformed.") from error
    if len(body) > limit:
        return True
    environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(body), str(len(body))
    request.__dict__.pop("content_length", None)  # cached as None: now known
    return False


def _acceptable(mimetype: str) -> bool:
    declared = accepted_types()
    if mimetype in declared:
        return True
    # JSON bodies are one family: a route documenting merge-patch+json also reads JSON.
    return is_json(mimetype) and (not declared or any(map(is_json, declared)))


def _origins(config: dict) -> str:
    urls = [config.get(key) or "" for key in ASSET_URL_KEYS]
    origins = {f"{p.scheme}://{p.netloc}" for p in map(urlsplit, urls) if p.scheme and p.netloc}
    return " ".join(sorted(origins | set(config["CSP_EXTRA_SOURCES"].split())))


def page_csp(frame_ancestors: str, handler_hashes: tuple[str, ...] = ()) -> str:
    """The policy of an HTML page: its own and configured assets. Scripts only from files
    (no inline script: pages start up from api/static/*.js), except inline event handlers
    whose text has one of ``handler_hashes`` ('sha256-...'); inline styles stay allowed."""
    extra = _origins(current_app.config)
    own = f"'self' {extra}".strip()
    handlers = " ".join(("'unsafe-hashes'", *handler_hashes)) if handler_hashes else ""
    return "; ".join((
        f"default-src {own}",
        f"script-src {own} {handlers}".strip(),
        f"style-src {own} 'unsafe-inline'",
        f"img-src {own} data: https:",
        f"font-src {own} data:",
        f"connect-src {own}",
        "media-src 'self' https:",
        "frame-src 'self' https:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        f"frame-ancestors {frame_ancestors}",
    ))


def frameable(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in current_app.config["FRAMEABLE_PATHS"])


def add_headers(response: Response) -> Response:
    """Security headers on every response; a view may set its own CSP first."""
    headers = response.headers
    framed = frameable(request.path)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    if not framed:
        headers.setdefault("X-Frame-Options", "DENY")
    if "Content-Security-Policy" not in headers:
        headers["Content-Security-Policy"] = (page_csp("*" if framed else "'none'")
                                              if response.mimetype == "text/html" else DATA_CSP)
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def init_app(app: Flask) -> None:
    app.before_request(check_request)
    app.after_request(add_headers)
