"""Curators' API tokens on the command line:
``flask --app api tokens create|rotate|list|revoke``."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from api.extensions import db
from api.http.auth import SCOPES, create_token, issue
from api.models import ApiToken, utcnow

tokens_cli = AppGroup("tokens", help="Create, rotate, list and revoke curators' API tokens.")
TTL = click.option("--ttl", type=click.IntRange(min=0), default=None,
                   help="Days the token lives (default: TOKEN_TTL_DAYS; 0: never expires).")


def _named(name: str) -> ApiToken:
    token = db.session.scalar(select(ApiToken).where(ApiToken.name == name))
    if token is None:
        raise click.ClickException(f"No token named '{name}'.")
    return token


@tokens_cli.command("create")
@click.option("--name", required=True, help="Who uses the token: recorded in every revision.")
@click.option("--scope", type=click.Choice(SCOPES), default="write", show_default=True)
@TTL
def create_command(name: str, scope: str, ttl: int | None) -> None:
    """Create a token and print it once: only its hash is stored."""
    if db.session.scalar(select(ApiToken).where(ApiToken.name == name)):
        raise click.ClickException(f"A token named '{name}' exists: pick another name.")
    click.echo(create_token(name, scope, ttl))


@tokens_cli.command("rotate")
@click.option("--name", required=True)
@TTL
def rotate_command(name: str, ttl: int | None) -> None:
    """Replace a token's secret (same name and scope) and print the new one once; the old
    one stops working at once."""
    click.echo(issue(_named(name), ttl))


@tokens_cli.command("revoke")
@click.option("--name", required=True)
def revoke_command(name: str) -> None:
    """Revoke a token: it stops working at once."""
    token = _named(name)
    token.revoked_at = token.revoked_at or utcnow()
    db.session.commit()
    click.echo(f"Revoked '{name}'.")


@tokens_cli.command("list")
def list_command() -> None:
    """List tokens by name, scope and state (never the tokens themselves)."""
    for token in db.session.scalars(select(ApiToken).order_by(ApiToken.name)):
        state = f"revoked {token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "active"
        created = f"created {token.created_at:%Y-%m-%d %H:%M}"
        expires = f"expires {token.expires_at:%Y-%m-%d %H:%M}" if token.expires_at else "no expiry"
        click.echo(f"{token.name}\t{token.scope}\t{created}\t{state}\t{expires}")
