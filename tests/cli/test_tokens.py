"""Curators' tokens expire (TOKEN_TTL_DAYS, `tokens create --ttl`) and can be rotated."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from sqlalchemy import select
from support import assert_problem

from api.extensions import db
from api.models import ApiToken, utcnow


def cli(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["tokens", *args])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def write_status(app: Flask, token: str) -> int:
    """401 if the token is refused; anything else means it was accepted."""
    return app.test_client().delete("/v1/events/nope", headers={
        "Authorization": f"Bearer {token}", "If-Match": '"x"'}).status_code


def expires_at(app: Flask, name: str) -> dt.datetime | None:
    with app.app_context():
        return db.session.scalar(select(ApiToken.expires_at).where(ApiToken.name == name))


def test_a_new_token_expires_after_the_default_ttl_and_is_then_refused(app: Flask) -> None:
    token = cli(app, "create", "--name", "erin")
    assert write_status(app, token) != 401
    assert abs(expires_at(app, "erin") - (utcnow() + dt.timedelta(days=90))) < \
        dt.timedelta(minutes=1)
    assert "expires " in cli(app, "list")
    with app.app_context():  # ninety days later
        row = db.session.scalar(select(ApiToken).where(ApiToken.name == "erin"))
        row.expires_at = utcnow() - dt.timedelta(seconds=1)
        db.session.commit()
    response = app.test_client().delete("/v1/events/nope", headers={
        "Authorization": f"Bearer {token}", "If-Match": '"x"'})
    assert_problem(response, 401, "expired")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_ttl_is_chosen_per_token(app: Flask) -> None:
    cli(app, "create", "--name", "short", "--ttl", "7")
    cli(app, "create", "--name", "forever", "--ttl", "0")
    assert expires_at(app, "short") - utcnow() < dt.timedelta(days=7, minutes=1)
    assert expires_at(app, "forever") is None


def test_rotation_replaces_the_secret_and_the_old_one_stops_working(app: Flask) -> None:
    old = cli(app, "create", "--name", "fay", "--ttl", "1")
    new = cli(app, "rotate", "--name", "fay")
    assert new != old and new.startswith("mt_")
    assert write_status(app, old) == 401
    assert write_status(app, new) != 401
    assert expires_at(app, "fay") - utcnow() > dt.timedelta(days=89)  # a fresh default TTL
    result = app.test_cli_runner().invoke(args=["tokens", "rotate", "--name", "nobody"])
    assert result.exit_code != 0 and "No token named 'nobody'" in result.output
