"""The command line: ``flask --app api prepare|seed|export|synth|tokens|purge``."""

from __future__ import annotations

from flask import Flask

from api.cli import export, prepare, purge, seed, synth, tokens


def init_app(app: Flask) -> None:
    """Register every command of the package."""
    for command in (prepare.prepare_command, seed.seed_command, export.export_command,
                    synth.synth_command, tokens.tokens_cli, purge.purge_command):
        app.cli.add_command(command)
