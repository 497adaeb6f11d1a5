"""Webhooks: subscriptions to the change log (api/resources/webhooks.py), delivered by a
worker process, ``flask --app api webhooks worker`` (api/webhooks/worker.py)."""

from __future__ import annotations

from flask import Flask

from api.webhooks import models, worker

__all__ = ["init_app", "models"]


def init_app(app: Flask) -> None:
    """Register the worker's command."""
    app.cli.add_command(worker.webhooks_cli)
