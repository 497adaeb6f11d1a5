"""A hung or refused Redis degrades the API, never stops it; PostgreSQL calls are bounded.

Redis is played by a listener on 127.0.0.1 that accepts connections and never answers
(as a hung server or a dropped route looks) or by a port where nothing listens; the
shared Redis of this machine is left alone.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from support import make_app, skip_unless_postgresql
from tcpproxy import Proxy

from api import create_app
from api.extensions import db

TIMEOUT = 0.3  # REDIS_TIMEOUT in these tests


@pytest.fixture
def hung_redis() -> Iterator[str]:
    """A redis:// URL whose server accepts connections and never says a word."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    listener.close()
    for sock in held:
        sock.close()


def limited_app(redis_url: str, **config: Any) -> Flask:
    return create_app({
        "TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "RATELIMIT_ENABLED": True,
        "RATELIMIT_READ": "4 per minute", "REDIS_URL": redis_url, "REDIS_TIMEOUT": TIMEOUT,
        "RATELIMIT_KEY_PREFIX": "test-" + uuid.uuid4().hex, **config,
    })


def within(seconds: float, work: Any) -> Any:
    """``work()``'s result, failing the test if it takes longer than ``seconds``."""
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(work()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert result, f"still blocked after {seconds} s"
    return result[0]


def storage_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == "api" and r.levelno == logging.WARNING and "storage" in r.getMessage()]


def test_reads_keep_working_when_redis_hangs(hung_redis: str,
                                             caplog: pytest.LogCaptureFixture) -> None:
    client = limited_app(hung_redis).test_client()
    start = time.monotonic()
    statuses = within(10, lambda: [client.get("/openapi.json").status_code for _ in range(5)])
    # Counted in memory meanwhile: the budget of 4 still holds.
    assert statuses == [200, 200, 200, 200, 429]
    assert time.monotonic() - start < 10 * TIMEOUT
    # Said once, in the app's log, naming the storage (not once per request).
    assert len(storage_warnings(caplog)) == 1
    assert hung_redis in storage_warnings(caplog)[0] and "memory" in storage_warnings(caplog)[0]


def test_a_refused_redis_is_logged_not_silent(caplog: pytest.LogCaptureFixture) -> None:
    client = limited_app("redis://:secret@127.0.0.1:1/0").test_client()
    assert [client.get("/openapi.json").status_code for _ in range(3)] == [200] * 3
    (warning,) = storage_warnings(caplog)
    assert "ConnectionError" in warning and "secret" not in warning


def test_readyz_reports_a_degraded_redis_and_stays_in_rotation(hung_redis: str) -> None:
    client = limited_app(hung_redis).test_client()
    with client.application.app_context():
        db.create_all()
    response = within(5 * TIMEOUT + 2, lambda: client.get("/readyz"))
    assert response.status_code == 200
    assert response.json == {"status": "degraded",
                             "checks": {"database": "ok", "redis": "unreachable"}}
    assert response.headers["Cache-Control"] == "no-store"


def test_postgresql_statements_are_bounded(backend: str, tmp_path: Path) -> None:
    if backend != "postgresql":
        skip_unless_postgresql("statement_timeout")
    made = make_app(backend, tmp_path, seeded=False, DB_STATEMENT_TIMEOUT=300)
    app = next(made)
    with app.app_context():
        assert db.session.execute(sa.text("SHOW statement_timeout")).scalar() == "300ms"
        # The test's own schema is still selected: the URL's options were kept.
        assert db.session.execute(sa.text("SHOW search_path")).scalar().startswith("t_")
        with pytest.raises(sa.exc.OperationalError, match="statement timeout"):
            db.session.execute(sa.text("SELECT pg_sleep(2)"))
        db.session.rollback()
    next(made, None)  # drops the schema


def test_readyz_leaves_redis_out_when_limits_are_off() -> None:
    client = limited_app("redis://127.0.0.1:1/0", RATELIMIT_ENABLED=False).test_client()
    with client.application.app_context():
        db.create_all()
    assert client.get("/readyz").json == {"status": "ok", "checks": {"database": "ok"}}


def redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not redis_up(), reason="no Redis at 127.0.0.1:6379")
def test_limits_go_back_to_redis_when_it_answers_again(caplog: pytest.LogCaptureFixture) -> None:
    proxy = Proxy(("127.0.0.1", 6379))  # the shared Redis, reached through a proxy we cut
    proxy.cut()
    try:
        client = limited_app(f"redis://127.0.0.1:{proxy.port}/0").test_client()
        assert client.get("/openapi.json").status_code == 200  # counted in memory
        proxy.restore()
        time.sleep(1.2)  # the first re-check comes after a second
        assert client.get("/openapi.json").status_code == 200
        messages = [r.getMessage() for r in caplog.records if r.name == "api"]
        assert any("unreachable" in m for m in messages)
        assert any("answers again" in m for m in messages)
    finally:
        proxy.close()


def test_readyz_checks_a_hung_redis_at_most_once_per_window(hung_redis: str) -> None:
    client = limited_app(hung_redis, READY_CACHE_SECONDS=60).test_client()
    with client.application.app_context():
        db.create_all()
    start = time.monotonic()
    answers = within(10, lambda: [client.get("/readyz") for _ in range(10)])
    assert time.monotonic() - start < 3 * TIMEOUT  # one check, not ten
    assert {r.json["checks"]["redis"] for r in answers} == {"unreachable"}
    assert all(r.headers["Cache-Control"] == "no-store" for r in answers)


def test_readyz_checks_again_once_its_window_passed(tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "READY_CACHE_SECONDS": 0.2,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'gone.sqlite'}"})
    client = app.test_client()
    with app.app_context():
        db.create_all()
    assert client.get("/readyz").status_code == 200
    (tmp_path / "gone.sqlite").unlink()
    (tmp_path / "gone.sqlite").mkdir()  # the database file is gone: no connection
    with app.app_context():
        db.engine.dispose()
    assert client.get("/readyz").status_code == 200  # the last answer, for a moment
    time.sleep(0.3)
    assert client.get("/readyz").status_code == 503
