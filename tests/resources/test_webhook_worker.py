"""The webhook worker as it runs in production (``flask --app api webhooks worker``, a
process of its own): killed mid-run and with the receiver down for a while, it loses no
delivery, and every request that arrives is signed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support import bearer, skip_unless_postgresql
from webhook_common import LOOPBACK, Receiver, add_missions, wait_for

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def start_worker(app: Flask, log: Path, poll: float = 0.05) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "WEBHOOK_ALLOW_NETWORKS": ",".join(LOOPBACK), "WEBHOOK_POLL_SECONDS": str(poll),
           "WEBHOOK_RETRY_SECONDS": "0.1", "WEBHOOK_RETRY_MAX_SECONDS": "0.4",
           "WEBHOOK_MAX_FAILURES": "1000"}
    with log.open("a") as out:
        return subprocess.Popen([sys.executable, "-m", "flask", "--app", "api", "webhooks",
                                 "worker"], cwd=ROOT, env=env, stdout=out, stderr=out)


def test_a_killed_worker_and_a_receiver_down_for_a_while_lose_no_delivery(
    app: Flask, client: FlaskClient, tmp_path: Path
) -> None:
    app.config["WEBHOOK_ALLOW_NETWORKS"] = LOOPBACK
    token = bearer(app, "hooks")
    receiver = Receiver(delay=0.02)
    hook = client.post("/v1/webhooks", json={"url": receiver.url}, headers=token).json
    receiver.secrets.append(hook["secret"])
    log = tmp_path / "worker.log"
    worker = start_worker(app, log)
    try:
        written = add_missions(app, 40)
        wait_for(lambda: len(receiver.seqs()) >= 10)
        worker.send_signal(signal.SIGKILL)  # mid-run: entries are still being sent
        worker.wait(10)
        assert len(set(receiver.seqs())) < len(written)

        receiver.stop()  # down: attempts fail and are retried with back-off
        written += add_missions(app, 10, prefix="later")
        worker = start_worker(app, log)

        def failures() -> int:
            items = client.get(hook["links"]["deliveries"], headers=token).json["items"]
            return sum(1 for item in items if not item["ok"])

        wait_for(lambda: failures() >= 3)
        receiver.start()  # back on the same port
        wait_for(lambda: set(receiver.seqs()) >= set(written), timeout=60)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(10) == 0, log.read_text()  # a graceful stop
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        receiver.stop()

    seqs = receiver.seqs()
    assert receiver.unsigned == 0
    assert seqs == sorted(seqs)  # in log order, a repeat at most right after the kill
    assert sorted(set(seqs)) == written
    assert len(seqs) - len(set(seqs)) <= 1
    shown = client.get(hook["links"]["self"], headers=token).json
    assert shown["last_seq"] == written[-1] and shown["failures"] == 0
    errors = {item["error"] for item in client.get(
        hook["links"]["deliveries"] + "?limit=100", headers=token).json["items"]}
    assert any(error and "ConnectionRefusedError" in error for error in errors), errors


def test_on_postgresql_a_commit_wakes_the_worker_without_waiting_for_its_poll(
    app: Flask, client: FlaskClient, backend: str, tmp_path: Path
) -> None:
    """The worker listens for the log's notifications: polling only once a minute, it
    still sends each new entry as soon as it is committed."""
    if backend != "postgresql":
        skip_unless_postgresql("LISTEN/NOTIFY")
    app.config["WEBHOOK_ALLOW_NETWORKS"] = LOOPBACK
    token = bearer(app, "hooks")
    receiver = Receiver()
    hook = client.post("/v1/webhooks", json={"url": receiver.url}, headers=token).json
    receiver.secrets.append(hook["secret"])
    log = tmp_path / "worker.log"
    worker = start_worker(app, log, poll=60)
    try:
        written = add_missions(app, 1, prefix="first")
        wait_for(lambda: len(receiver.seqs()) == 1, timeout=60)  # the worker has started
        for n in range(4):  # each after the worker went back to waiting
            time.sleep(0.3)
            written.extend(add_missions(app, 1, prefix=f"woken{n}-"))
            wait_for(lambda: len(receiver.seqs()) >= len(written), timeout=10)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(10) == 0, log.read_text()  # not a minute: the poll's wait
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        receiver.stop()
    assert receiver.seqs() == written and receiver.unsigned == 0
