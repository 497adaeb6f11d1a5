"""Webhooks: subscriptions to the change log (api/resources/webhooks.py), delivered by a
worker process, ``flask --app api webhooks worker`` (api/webhooks/worker.py)."""

from __future__ import annotations

from flask import Flask

from api.webhooks import addresses, models, worker

__all__ = ["init_app", "models"]


def init_app(app: Flask) -> None:
    """Check the settings (a bad network stops the start) and register the worker's
    command."""
    addresses.networks(app.config["WEBHOOK_ALLOW_NETWORKS"])
    app.cli.add_command(worker.webhooks_cli)
