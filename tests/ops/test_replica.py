"""Read replicas that keep read-your-writes, on a real streaming replica: a primary made
by initdb and a replica made by pg_basebackup on this machine (tests/ops/pgcluster.py),
with a mixed read/write soak through the API, the replica's replay paused for a third of
it (a replica minutes behind)."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator

import pytest
from flask import g
from flask_migrate import upgrade
from pgcluster import Cluster, bin_dir
from support import bearer

from api import create_app
from api.cli.seed import DEFAULT_DIR, load_seeds
from api.config import database_url
from api.extensions import db, dispose_engines

pytestmark = pytest.mark.slow


@pytest.fixture
def clusters() -> Iterator[tuple[Cluster, Cluster]]:
    if bin_dir() is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL's programs (initdb, pg_basebackup) are missing in CI")
        pytest.skip("PostgreSQL's programs are not installed")
    primary = Cluster()
    try:
        replica = Cluster(primary)
    except BaseException:
        primary.stop()
        raise
    yield primary, replica
    replica.stop()
    primary.stop()


def test_a_soak_through_a_replica_never_misses_a_callers_own_write(
    clusters: tuple[Cluster, Cluster],
) -> None:
    primary, replica = clusters
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url(primary.url),
                      "REPLICA_URLS": (database_url(replica.url),), "RATELIMIT_ENABLED": False})
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        load_seeds(DEFAULT_DIR)
    auth = bearer(app, "soak")
    replica.wait_for("SELECT EXISTS (SELECT 1 FROM changes)")
    served: list[bool] = []

    @app.after_request
    def note(response):
        if response.status_code in (200, 304):
            served.append(g.get("replica") is not None)
        return response

    client, rnd = app.test_client(), random.Random(3)
    ids = [e["id"] for e in client.get("/v1/events?limit=100").json["items"]]
    seq, violations, writes, reads = "0", 0, 0, 0
    try:
        for n in range(300):
            if n in (100, 200):  # a lagging replica for a third of the soak
                replica.sql("SELECT pg_wal_replay_pause()" if n == 100
                            else "SELECT pg_wal_replay_resume()")
            event = f"/v1/events/{rnd.choice(ids)}"
            if rnd.random() < 0.2:  # a curator: read, write, and read again at once
                current = client.get(event, headers={"Data-Seq": seq})
                changed = client.patch(event, json={"title": f"Soak title {n}"}, headers={
                    **auth, "If-Match": current.headers["ETag"],
                    "Content-Type": "application/merge-patch+json"})
                assert changed.status_code == 200, changed.json
                seq, writes = changed.headers["Data-Seq"], writes + 1
                for path in (event, "/v1/events?limit=100"):
                    body = client.get(path, headers={"Data-Seq": seq}).json
                    items = body.get("items", [body])
                    titles = {item["title"] for item in items}
                    violations += f"Soak title {n}" not in titles
            else:  # any reader
                assert client.get(rnd.choice((event, "/v1/events?type=launch"))
                                  ).status_code == 200
                reads += 1
    finally:
        with app.app_context():
            db.session.remove()
            dispose_engines()
    share = sum(served) / len(served)
    print(f"{writes} writes, {reads} other reads; read-your-writes violations: {violations}; "
          f"reads served by the replica: {share:.0%}")
    assert writes > 30 and violations == 0
    assert share > 0.5
