"""One held lock cannot stop reads (gunicorn, two sync workers, SQLite): while another
process holds the database's write lock, a burst of curators' writes gets 503s with
Retry-After (one waits DB_LOCK_TIMEOUT, the rest are turned away at once: WRITE_SLOTS is
one, half the workers) and reads and health checks keep being answered promptly."""

from __future__ import annotations

import http.client
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_gunicorn import Server, get

pytestmark = pytest.mark.slow
PERSON = "/v1/people/klim-shipenko"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = Server(tmp_path, DB_LOCK_TIMEOUT="1500", RESPONSE_CACHE="0")
    yield running
    running.stop()
    running.log.close()


def patch(port: int, headers: dict[str, str]) -> tuple[int, str | None]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("PATCH", PERSON, json.dumps({"name": "K. Shipenko"}),
                     {"Content-Type": "application/merge-patch+json", **headers})
        response = conn.getresponse()
        response.read()
        return response.status, response.getheader("Retry-After")
    finally:
        conn.close()


def test_writes_stuck_behind_a_lock_leave_reads_a_worker(server: Server) -> None:
    headers = {**server.bearer(),
               "If-Match": get(server.port, PERSON)[1]["ETag"]}
    holder = sqlite3.connect(server.database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    answers: list[tuple[int, str | None]] = []
    writers = [threading.Thread(target=lambda: answers.append(patch(server.port, headers)))
               for _ in range(6)]
    slowest, stop = [0.0], threading.Event()

    def read() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            for path in ("/healthz", f"/v1/people?limit={1 + n % 50}"):
                start = time.monotonic()
                assert get(server.port, path, timeout=10)[0] == 200
                slowest[0] = max(slowest[0], time.monotonic() - start)

    reader = threading.Thread(target=read)
    try:
        for writer in writers:
            writer.start()
            time.sleep(0.05)
        reader.start()
        for writer in writers:
            writer.join(30)
    finally:
        stop.set()
        reader.join(15)
        holder.execute("ROLLBACK")
        holder.close()
    assert sorted(status for status, _ in answers) == [503] * 6
    assert all(retry for _, retry in answers)
    assert slowest[0] < 1.0, f"a read waited {slowest[0]:.1f}s behind the writers"
    assert patch(server.port, headers)[0] == 200  # the lock gone, the write goes through
