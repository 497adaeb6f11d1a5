"""Read replicas that keep read-your-writes.

With ``REPLICA_URLS`` set, a request that only reads is served by a random replica unless
the caller has written something it has not applied yet: every write answers with
``Data-Seq`` (its commit's change-log number), and a read sending it back is served by a
replica only once that replica's change log reaches it, else by the primary. A replica
that cannot answer is skipped. A replica's answer that is behind the primary's data
version is not kept by the response cache (api/http/cache).
"""

from __future__ import annotations

import logging
import random

from flask import Flask, Response, current_app, g, request
from sqlalchemy import exc

from api.domain.changelog import data_version
from api.extensions import REPLICAS, SAFE_METHODS

log = logging.getLogger(__name__)
HEADER = "Data-Seq"


def wanted_seq() -> int:
    """The change-log number the caller must see (its last write's), 0 if none or unreadable."""
    value = request.headers.get(HEADER, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 12 else 0


def only_reads() -> None:
    """Mark a request that only reads: it reads without a transaction (RoutingSession)."""
    g.only_reads = request.method in SAFE_METHODS


def init_reads(app: Flask) -> None:
    """Before any hook that reads the database (the response cache's version check)."""
    app.before_request(only_reads)


def choose_reader() -> None:
    """Give a request that only reads a replica that has applied what the caller wrote."""
    replicas = current_app.extensions.get(REPLICAS)
    if not replicas or request.method not in SAFE_METHODS:
        return
    replica = random.choice(replicas)
    try:
        with replica.connect() as connection:
            seq = data_version(connection)
    except exc.SQLAlchemyError as error:
        log.warning("read replica %s unavailable: %s", replica.url.host, error)
        return
    if seq >= wanted_seq():
        g.replica, g.replica_seq = replica, seq


def behind(version: int | None) -> bool:
    """Whether this request read from a replica that had not reached ``version``."""
    seq = g.get("replica_seq")
    return seq is not None and version is not None and seq < version


def answer_seq(response: Response) -> Response:
    """A write's answer names the change-log number of its commit (``Data-Seq``)."""
    seq = g.get("data_seq")
    if seq is not None:
        response.headers[HEADER] = str(seq)
    return response


def init_app(app: Flask) -> None:
    if app.config["REPLICA_URLS"]:
        app.before_request(choose_reader)
    app.after_request(answer_seq)
