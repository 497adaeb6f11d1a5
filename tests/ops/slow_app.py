"""The API plus one slow route, for the gunicorn tests (graceful shutdown needs a request
that is still running when the signal comes)."""

from __future__ import annotations

import time

from flask import Flask, request

from api import create_app


def create() -> Flask:
    app = create_app()

    def slow() -> dict[str, float]:
        seconds = min(float(request.args.get("seconds", "1")), 10)
        time.sleep(seconds)
        return {"slept": seconds}

    app.add_url_rule("/slow", "slow", slow)
    return app
