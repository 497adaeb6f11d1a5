"""API tokens for curators: created and revoked on the command line, stored only as hashes.

A request proves who it is with ``Authorization: Bearer <token>``. Reads stay public;
writes need a token with the ``write`` scope (``read`` tokens may read source texts).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from collections.abc import Callable
from typing import Any

import click
from flask import Flask, g, request
from flask.cli import AppGroup
from flask_smorest import Blueprint, abort
from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column

from .errors import problem
from .extensions import db, smorest

SCOPES = ("read", "write")
PREFIX = "mt_"  # makes a leaked token easy to recognise (and to scan for)
# OpenAPI: how a write operation is secured, and what a failed check looks like.
SECURITY = {
    "security": [{"bearerAuth": []}],
    "responses": {"401": {"description": "No valid token."},
                  "403": {"description": "The token lacks the scope."}},
}


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    scope: Mapped[str] = mapped_column(String(20))
    # sha256 of the token: a token has 256 random bits, so a fast hash is enough.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def utcnow() -> dt.datetime:
    """Now in UTC, naive (as every backend stores it)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def create_token(name: str, scope: str) -> str:
    """Store a new token's hash under ``name`` and return the token (shown once)."""
    token = PREFIX + secrets.token_urlsafe(32)
    db.session.add(ApiToken(name=name, scope=scope, token_hash=hash_token(token),
                            created_at=utcnow()))
    db.session.commit()
    return token


def _challenge(status: int, error: str, detail: str) -> None:
    header = f'Bearer realm="curation", error="{error}"' if error else 'Bearer realm="curation"'
    abort(problem(status, detail, headers={"WWW-Authenticate": header}))


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
            return view(*args, **kwargs)

        return Blueprint.doc(**SECURITY)(wrapper)

    return decorator


tokens_cli = AppGroup("tokens", help="Create, list and revoke curators' API tokens.")


@tokens_cli.command("create")
@click.option("--name", required=True, help="Who uses the token: recorded in every revision.")
@click.option("--scope", type=click.Choice(SCOPES), default="write", show_default=True)
def create_command(name: str, scope: str) -> None:
    """Create a token and print it once: only its hash is stored."""
    if db.session.scalar(select(ApiToken).where(ApiToken.name == name)):
        raise click.ClickException(f"A token named '{name}' exists: pick another name.")
    click.echo(create_token(name, scope))


@tokens_cli.command("revoke")
@click.option("--name", required=True)
def revoke_command(name: str) -> None:
    """Revoke a token: it stops working at once."""
    token = db.session.scalar(select(ApiToken).where(ApiToken.name == name))
    if token is None:
        raise click.ClickException(f"No token named '{name}'.")
    token.revoked_at = token.revoked_at or utcnow()
    db.session.commit()
    click.echo(f"Revoked '{name}'.")


@tokens_cli.command("list")
def list_command() -> None:
    """List tokens by name, scope and state (never the tokens themselves)."""
    for token in db.session.scalars(select(ApiToken).order_by(ApiToken.name)):
        state = f"revoked {token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "active"
        created = f"created {token.created_at:%Y-%m-%d %H:%M}"
        click.echo(f"{token.name}\t{token.scope}\t{created}\t{state}")


def init_app(app: Flask) -> None:
    app.cli.add_command(tokens_cli)
    smorest.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer",
                       "description": "A token from `flask --app api tokens create`."}
    )
