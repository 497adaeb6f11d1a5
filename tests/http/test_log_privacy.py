"""Logs hold no request values: a database error is logged by its class and constraint,
never by the message in which the database quotes the rejected values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError
from support import make_app

from api.extensions import db
from api.models import ApiToken, utcnow

SECRET = "curators-private-note-8271"


def test_an_integrity_error_is_logged_without_the_values(
    backend: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    made = make_app(backend, tmp_path, seeded=False)
    app = next(made)
    with app.test_request_context("/v1/events", method="POST"):
        db.session.add(ApiToken(name=SECRET, scope="write", token_hash="a", created_at=utcnow()))
        db.session.commit()
        db.session.add(ApiToken(name=SECRET, scope="write", token_hash="b", created_at=utcnow()))
        try:
            db.session.commit()
        except IntegrityError as error:
            db.session.rollback()
            assert SECRET in str(error)  # what the database said, values and all
            app.logger.exception("write failed")
    next(made, None)
    # The app's own log (JSON lines on stderr; under pytest it also propagates to the root
    # logger, which production does not).
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    entry = next(json.loads(line) for line in lines if "write failed" in line)
    assert SECRET not in "".join(lines)
    assert "IntegrityError (constraint: " in entry["exception"]
    assert "api_tokens" in entry["exception"] and "name" in entry["exception"]
    assert 'File "' in entry["exception"]  # the frames are still there
