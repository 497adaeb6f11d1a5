"""Cross-origin reads: Flask-CORS, for every path, with the headers browsers may read."""

from __future__ import annotations

from typing import Any

from flask import Flask

from api.extensions import cors

EXPOSED_HEADERS = ["ETag", "Link", "Memento-Datetime", "Retry-After", "X-Request-ID",
                   "Snapshot-Seq", "Data-Seq",
                   "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"]


def cors_origins(config: dict[str, Any]) -> list[str]:
    """The allowed origins, ``["*"]`` for anyone."""
    origins = config["CORS_ORIGINS"]
    if isinstance(origins, str):  # a test config may give one origin as a string
        origins = [item.strip() for item in origins.split(",")]
    return list(origins)


def init_app(app: Flask) -> None:
    origins = cors_origins(app.config)
    anyone = origins == ["*"]
    cors.init_app(app, origins="*" if anyone else origins, send_wildcard=anyone,
                  vary_header=not anyone, expose_headers=EXPOSED_HEADERS)
