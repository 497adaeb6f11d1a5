"""API tokens for curators: created, rotated and revoked on the command line
(api/cli/tokens.py), stored only as hashes, expiring after ``TOKEN_TTL_DAYS`` by default.

A request proves who it is with ``Authorization: Bearer <token>``. Reads stay public;
writes need a token with the ``write`` scope (``read`` tokens may read source texts).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from collections.abc import Callable
from typing import Any, NoReturn

from flask import Flask, current_app, g, request
from flask_smorest import Blueprint
from sqlalchemy import select

from api.extensions import db, smorest
from api.http import slots
from api.http.errors import Problem
from api.models import ApiToken, utcnow

SCOPES = ("read", "write")
PREFIX = "mt_"  # makes a leaked token easy to recognise (and to scan for)
# OpenAPI: how an operation is secured, and what a failed check looks like.
SECURITY = {
    "security": [{"bearerAuth": []}],
    "responses": {"401": "Problem401", "403": "Problem403"},  # see api/http/apidoc.py
}


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(row: ApiToken, ttl_days: int | None = None) -> str:
    """Give ``row`` a new secret living ``ttl_days`` (default TOKEN_TTL_DAYS; 0: forever),
    commit, and return the token (only its hash is stored)."""
    days = current_app.config["TOKEN_TTL_DAYS"] if ttl_days is None else ttl_days
    token = PREFIX + secrets.token_urlsafe(32)
    row.token_hash, row.created_at, row.revoked_at = hash_token(token), utcnow(), None
    row.expires_at = row.created_at + dt.timedelta(days=days) if days > 0 else None
    db.session.add(row)
    db.session.commit()
    return token


def create_token(name: str, scope: str, ttl_days: int | None = None) -> str:
    """Store a new token's hash under ``name`` and return the token (shown once)."""
    return issue(ApiToken(name=name, scope=scope), ttl_days)


def _challenge(status: int, error: str, detail: str) -> NoReturn:
    header = f'Bearer realm="curation", error="{error}"' if error else 'Bearer realm="curation"'
    raise Problem(status, detail, headers={"WWW-Authenticate": header})


def authenticate(scope: str) -> ApiToken:
    """The request's token, which must hold ``scope``: else 401 (no valid token) or 403."""
    kind, _, token = request.headers.get("Authorization", "").partition(" ")
    if not token or kind.lower() != "bearer":
        _challenge(401, "", "This request needs a curator's token: "
                   "send 'Authorization: Bearer <token>'.")
    stmt = select(ApiToken).where(ApiToken.token_hash == hash_token(token.strip()))
    found = db.session.scalar(stmt)
    if found is None or found.revoked_at is not None:
        _challenge(401, "invalid_token", "The token is unknown or revoked.")
    if found.expires_at is not None and found.expires_at <= utcnow():
        _challenge(401, "invalid_token", f"The token expired on {found.expires_at:%Y-%m-%d}: "
                   "ask for a new one ('tokens rotate').")
    if scope == "write" and found.scope != "write":
        _challenge(403, "insufficient_scope", f"The token '{found.name}' lacks the "
                   f"'{scope}' scope.")
    g.curator = found.name
    return found


def require(scope: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a view: it runs only for a token holding ``scope``."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            authenticate(scope)
            if scope == "write":
                slots.take()  # 503 when too many writes are under way (api/http/slots.py)
            return view(*args, **kwargs)

        return Blueprint.doc(**SECURITY)(wrapper)

    return decorator


def init_app(app: Flask) -> None:
    smorest.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer",
                       "description": "A token from `flask --app api tokens create`."}
    )
