"""Curators' API tokens on the command line: ``flask --app api tokens create|list|revoke``."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from api.extensions import db
from api.http.auth import SCOPES, create_token
from api.models import ApiToken, utcnow

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
