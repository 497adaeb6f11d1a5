"""The development console (issue 24): `make run PORT=...`, one line per request."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

import pytest
from flask import Flask
from werkzeug._internal import _log

ROOT = Path(__file__).resolve().parents[2]


def test_make_run_takes_a_port() -> None:
    plan = subprocess.run(["make", "-n", "run", "PORT=8123"], cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout
    assert "run --host 127.0.0.1 --port 8123" in plan
    default = subprocess.run(["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout
    assert "--port 5000" in default


def test_the_dev_server_does_not_log_a_request_twice(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    """The request log writes each request's line; werkzeug's own is dropped, its other
    messages (where the server runs) kept."""
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        # as werkzeug's WSGIRequestHandler.log_request and run_simple write them
        _log("info", '127.0.0.1 - - [07/Dec/2026 20:05:01] "%s" %s %s\n',
             "GET /v1/events HTTP/1.1", "200", "-")
        _log("info", " * Running on http://127.0.0.1:5000")
    logged = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert logged == [" * Running on http://127.0.0.1:5000"]
    with caplog.at_level(logging.INFO, logger="api.access"):
        app.test_client().get("/healthz")
    assert [r.name for r in caplog.records].count("api.access") == 1
