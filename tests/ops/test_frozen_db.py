"""A frozen PostgreSQL (it accepts connections and never answers, as a stopped server or a
hung disk looks) costs a 503 within a bounded time, never a hung worker: in-process
through a proxy that freezes, and for 30 s under load with a real server SIGSTOPped in
front of gunicorn; a lock held by another transaction costs a writer a 503 after a brief
wait (on SQLite too)."""

from __future__ import annotations

import http.client
import itertools
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from pgcluster import Cluster, bin_dir
from support import POSTGRES_URL, assert_problem, bearer, make_app, skip_unless_postgresql
from tcpproxy import Proxy
from test_degradation import within
from test_faults import CONNECT_TIMEOUT, RECOVERY, proxied, recovers, timed_get  # noqa: F401
from test_gunicorn import ROOT, Server, get

from api.extensions import db
from api.http.deadlines import FRONT_DOOR, RESOLUTION, SUSPECT_AFTER

STATEMENT_TIMEOUT = 500  # ms: DB_STATEMENT_TIMEOUT in these tests
# The most a request may wait on a frozen database: the server's own statement timeout
# (which a stopped server never applies), then the connect timeout, and some slack.
BOUND = STATEMENT_TIMEOUT / 1000 + CONNECT_TIMEOUT + 1.5


def test_a_frozen_database_is_a_503_within_the_timeout_and_recovers(
    proxied: Callable[..., tuple[Flask, Proxy]],  # noqa: F811
) -> None:
    # READY_CACHE_SECONDS=0: /readyz asks the database each time (found silent within a
    # second, the freeze would otherwise be met by the answer given just before it)
    app, proxy = proxied(DB_STATEMENT_TIMEOUT=STATEMENT_TIMEOUT, DB_PING_AFTER_IDLE=3600,
                         READY_CACHE_SECONDS=0)
    assert timed_get(app, "/v1/events?limit=2")[0] == 200
    assert timed_get(app, "/readyz")[0] == 200
    proxy.freeze()  # the pooled connections stay open and go silent
    for path in ("/v1/events?limit=3", "/v1/people/does-not-matter", "/readyz",
                 "/v1/events?limit=4"):
        status, headers, body, took = within(30, lambda p=path: timed_get(app, p))
        assert status == 503, (path, status, body)
        assert headers["Retry-After"] == str(app.config["DB_RETRY_AFTER"])
        assert headers["Content-Type"] == "application/problem+json"
        assert took < BOUND, f"{path} took {took:.1f}s on a frozen database"
    status, _, _, took = timed_get(app, "/healthz")
    assert status == 200 and took < 0.5

    proxy.restore()
    deadline = time.monotonic() + 10
    while timed_get(app, "/v1/events?limit=5")[0] != 200:
        assert time.monotonic() < deadline, "no recovery after the database thawed"
        time.sleep(0.2)


def test_a_frozen_database_is_found_out_long_before_a_long_statement_timeout(
    proxied: Callable[..., tuple[Flask, Proxy]],  # noqa: F811
) -> None:
    """With a statement timeout of 30 s, a request on a frozen database still gives up
    after about SUSPECT_AFTER + FRONT_DOOR (the server left an SSLRequest unanswered), and
    every later one at once, until the database answers again."""
    app, proxy = proxied(DB_STATEMENT_TIMEOUT=30_000, DB_PING_AFTER_IDLE=3600)
    assert timed_get(app, "/v1/events?limit=2")[0] == 200
    proxy.freeze()
    first = within(30, lambda: timed_get(app, "/v1/events?limit=3"))
    assert first[0] == 503 and first[3] < SUSPECT_AFTER + FRONT_DOOR + 0.5, \
        f"took {first[3]:.1f}s"
    for path in ("/v1/events?limit=4", "/v1/people/does-not-matter", "/readyz"):
        status, headers, _, took = timed_get(app, path)
        assert (status, headers["Retry-After"]) == (503, str(app.config["DB_RETRY_AFTER"]))
        assert took < 0.5, f"{path} waited {took:.1f}s on a database known to be silent"
    proxy.restore()
    recovers(app, "/v1/events?limit=5")


PERSON = "/v1/people/klim-shipenko"


def test_a_held_lock_costs_a_writer_a_brief_wait_then_a_503(backend: str, tmp_path: Path) -> None:
    made = make_app(backend, tmp_path, seeded=True, DB_LOCK_TIMEOUT=300)
    app = next(made)
    writer = bearer(app)
    client = app.test_client()
    etag = client.get(PERSON).headers["ETag"]
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if backend == "sqlite":  # another writer holds the whole file
        holder = sqlite3.connect(sa.make_url(url).database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
    else:  # another transaction holds the person's row
        holder = sa.create_engine(url).connect()
        holder.exec_driver_sql("SELECT 1 FROM people WHERE id = 'klim-shipenko' FOR UPDATE")
    try:
        start = time.monotonic()
        response = client.patch(PERSON, json={"name": "K. Shipenko"},
                                headers={**writer, "If-Match": etag})
        took = time.monotonic() - start
        assert_problem(response, 503, "busy")
        assert response.headers["Retry-After"]
        assert took < 2, f"the writer waited {took:.1f}s on the lock"
        assert client.get(PERSON).status_code == 200  # reads are not held up
    finally:
        holder.rollback() if backend == "postgresql" else holder.execute("ROLLBACK")
        holder.close()
    response = client.patch(PERSON, json={"name": "K. Shipenko"},
                            headers={**writer, "If-Match": etag})
    assert response.status_code == 200
    next(made, None)


FROZEN = 30  # seconds PostgreSQL stays frozen under load
CACHED = ("/v1/events?limit=20", "/v1/events/soyuz-ms-19-launch", "/v1/missions/the-challenge")
EVENT = "/v1/events/crew-returns-to-earth"


def request(port: int, method: str, path: str, body: object = None,
            headers: dict[str, str] | None = None) -> tuple[int | None, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.request(method, path, body if body is None else json.dumps(body), headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    except (OSError, http.client.HTTPException):
        return None, {}, b""
    finally:
        conn.close()


@pytest.mark.slow
def test_frozen_for_30_s_under_load_health_and_cached_reads_go_on_nothing_is_lost(
    tmp_path: Path,
) -> None:
    """One sync worker with the production timeouts, four clients: cached reads, new
    searches (never cached), a curator's edits, the liveness probe. While PostgreSQL is
    SIGSTOPped the probe answers within a second, cached reads keep answering
    (stale-if-error), every other request gets 200 or 503 within the time it takes to find
    the server silent, and every edit answered 200 is in the database afterwards."""
    if bin_dir() is None:
        pytest.skip("PostgreSQL's programs are not installed")
    cluster = Cluster()
    server = None
    try:
        server = Server(tmp_path, count=1, start_timeout=120, DATABASE_URL=cluster.url)
        # A call waits SUSPECT_AFTER, the server leaves the SSLRequest unanswered FRONT_DOOR,
        # and the watchdog looks every RESOLUTION: the most a call waits on it.
        deadline = SUSPECT_AFTER + FRONT_DOOR + 2 * RESOLUTION
        bound = deadline + 0.5  # and a moment behind the other clients' requests
        writer = {"Authorization": "Bearer " + subprocess.run(
            [str(Path(sys.executable).with_name("flask")), "--app", "api", "tokens", "create",
             "--name", "frozen"], cwd=ROOT, capture_output=True, text=True, check=True,
            env={**os.environ, "DATABASE_URL": cluster.url}).stdout.strip(),
            "Content-Type": "application/merge-patch+json"}
        answers: list[tuple[str, float, float, int | None]] = []  # (kind, start, took, status)
        stop, writing, editing = threading.Event(), threading.Event(), threading.Lock()
        # The writer's view: the last edit answered 200 (its ETag, title) and the edits sent
        # since with no 200 (one at most was applied: all carried that ETag as If-Match).
        mine = {"etag": request(server.port, "GET", EVENT)[1]["ETag"], "title": None,
                "unsure": [], "applied": 0, "lost": []}

        def ask(kind: str, method: str, path: str, body: object = None,
                headers: dict[str, str] | None = None) -> tuple[int | None, dict[str, str]]:
            start = time.monotonic()
            status, head, _ = request(server.port, method, path, body, headers)
            answers.append((kind, start, time.monotonic() - start, status))
            return status, head

        def loop(kind: str, step: Callable[[int], None], pause: float) -> None:
            for n in itertools.count():
                if stop.wait(pause):
                    return
                step(n)

        def edit(n: int) -> None:
            with editing:  # the freeze waits for an edit under way to end
                if writing.is_set():
                    edit_once(n)

        def edit_once(n: int) -> None:
            title = f"The crew returns to Earth (edit {n})"
            status, head = ask("write", "PATCH", EVENT, {"title": title},
                               {**writer, "If-Match": mine["etag"]})
            if status == 412:  # an edit answered 503 was applied after all: which one?
                status, head, body = request(server.port, "GET", EVENT, headers=writer)
                title = json.loads(body)["title"]
                if title not in mine["unsure"]:
                    mine["lost"].append(mine["title"])
            else:
                mine["unsure"].append(title)
            if status == 200:
                mine.update(etag=head["ETag"], title=title, unsure=[],
                            applied=mine["applied"] + 1)

        steps = {
            "cached": (lambda n: ask("cached", "GET", CACHED[n % len(CACHED)]), 0.02),
            "uncached": (lambda n: ask("uncached", "GET", f"/v1/events?q=crew&limit={n % 99 + 1}"
                                       f"&from=2021-{n % 12 + 1:02d}"), 0.02),
            "write": (edit, 0.2),
            "healthz": (lambda n: ask("healthz", "GET", "/healthz"), 0.1),
        }
        for path in CACHED:
            assert get(server.port, path)[0] == 200  # stored by the worker
        clients = [threading.Thread(target=loop, args=(kind, *step)) for kind, step in
                   steps.items()]
        for client in clients:
            client.start()
        writing.set()
        time.sleep(3)
        writing.clear()  # a committed edit empties the worker's cache: once the last edit
        with editing:  # ended, the cached reads store their pages again before the freeze
            for path in CACHED:
                assert get(server.port, path)[0] == 200
        cluster.freeze()
        frozen = time.monotonic()
        writing.set()
        time.sleep(FROZEN)
        cluster.thaw()
        thawed = time.monotonic()
        time.sleep(RECOVERY + 2)
        stop.set()
        for client in clients:
            client.join(30)

        def during(kind: str) -> list[tuple[float, int | None]]:
            return [(took, status) for k, start, took, status in answers
                    if k == kind and frozen <= start < thawed - bound]

        health = [(took, status) for k, start, took, status in answers
                  if k == "healthz" and frozen <= start < thawed]
        assert len(health) > FROZEN * 5 and {status for _, status in health} == {200}
        slow = [(k, round(start - frozen, 2), round(took, 2), status)
                for k, start, took, status in answers if took > 0.5]  # (seconds after the freeze)
        assert max(took for took, _ in health) < 1, f"the liveness probe waited: {slow}"
        cached = during("cached")
        assert len(cached) > FROZEN * 10 and {status for _, status in cached} == {200}
        assert max(took for took, _ in cached) < bound
        for kind in ("uncached", "write"):
            seen = during(kind)
            assert {status for _, status in seen} <= {200, 412, 503}, kind
            assert sum(status == 503 for _, status in seen) > FROZEN, kind
            assert max(took for took, _ in seen) < bound, kind
        later = [status for k, start, _, status in answers
                 if k == "uncached" and start > thawed + RECOVERY]
        assert later and set(later) == {200}  # recovered by itself

        status, _, body = request(server.port, "GET", EVENT, headers=writer)
        title = json.loads(body)["title"]
        assert not mine["lost"] and title in (mine["title"], *mine["unsure"]), "an edit lost"
        status, _, body = request(server.port, "GET", f"{EVENT}/revisions?limit=100",
                                  headers=writer)
        page = json.loads(body)
        assert status == 200 and not page.get("next"), page  # the last revision is here
        assert page["items"][-1]["snapshot"]["title"] == title  # the history matches the row
        applied = mine["applied"] + (title != mine["title"])
        assert [r["number"] for r in page["items"]] == list(range(1, applied + 2))
    finally:
        if server is not None:
            server.stop()
            server.log.close()
        cluster.stop()


def test_no_statement_timeout_lets_a_long_statement_finish(tmp_path: Path) -> None:
    """DB_STATEMENT_TIMEOUT=0 is PostgreSQL's "no timeout" (a bulk load, the benchmark's
    counts): a statement longer than the connect timeout runs to its end, its connection
    not cut by the deadline a frozen server would get."""
    if not POSTGRES_URL:
        skip_unless_postgresql("statement_timeout=0")
    for app in make_app("postgresql", tmp_path, seeded=False, DB_STATEMENT_TIMEOUT=0,
                        DB_CONNECT_TIMEOUT=1):
        with app.app_context():
            started = time.monotonic()
            assert db.session.scalar(sa.text("SELECT 1 FROM pg_sleep(2.5)")) == 1
            assert time.monotonic() - started >= 2.5
            db.session.remove()
