"""Writes cannot take every worker: once WRITE_SLOTS writes are under way on a host (other
workers hold the slots' lock files), one more is a prompt 503 with Retry-After, while
reads go on; a slot is free again when its write ends, or its process dies."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path

from support import bearer, make_app

PERSON = "/v1/people/klim-shipenko"


def test_a_write_beyond_the_slots_is_a_prompt_503_and_reads_go_on(
    backend: str, tmp_path: Path,
) -> None:
    slots = tmp_path / "slots"
    made = make_app(backend, tmp_path, seeded=True, WRITE_SLOTS=2, WRITE_SLOTS_DIR=str(slots))
    app = next(made)
    client = app.test_client()
    writer = bearer(app)

    def rename(name: str) -> tuple[int, dict, float]:
        etag = client.get(PERSON).headers["ETag"]
        start = time.monotonic()
        response = client.patch(PERSON, json={"name": name},
                                headers={**writer, "If-Match": etag})
        return response.status_code, response.headers, time.monotonic() - start

    assert rename("K. Shipenko")[0] == 200
    # Two writes under way in other workers: a process holding both slots.
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, os, sys, time\n"
        f"for n in range(2):\n"
        f"    fd = os.open(os.path.join({str(slots)!r}, str(n)), os.O_RDWR | os.O_CREAT)\n"
        "    fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "print('held', flush=True)\n"
        "time.sleep(60)\n")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        status, headers, took = rename("Klim Shipenko")
        assert status == 503 and headers["Retry-After"] == "1" and took < 0.5
        assert headers["Content-Type"] == "application/problem+json"
        assert client.get(PERSON).json["name"] == "K. Shipenko"  # reads are served
        # Without a curator's token no slot is asked for: 401 as ever.
        assert client.patch(PERSON, json={"name": "x"}).status_code == 401
    finally:
        holder.kill()  # a writer killed mid-write: the kernel frees its slots
        holder.wait()
        holder.stdout.close()
    assert rename("Klim Shipenko")[0] == 200
    # Each write gave its own slot back: neither is held now.
    for n in range(2):
        fd = os.open(slots / str(n), os.O_RDWR)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.close(fd)
    next(made, None)
