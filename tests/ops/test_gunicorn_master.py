"""gunicorn's master process: workers never outlive it (a restarted gunicorn can take the
port at once), and its control socket belongs to one instance or to none."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from test_gunicorn import Server, get, workers

pytestmark = pytest.mark.slow


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for its new parent to reap it does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def bindable(port: int) -> bool:
    """Whether a new server could listen on 127.0.0.1:``port`` (as gunicorn binds it)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
            sock.listen()
        except OSError:
            return False
        return True


def test_a_killed_master_takes_its_workers_along_after_their_requests(tmp_path: Path) -> None:
    server = Server(tmp_path)
    try:
        pids = workers(server.process.pid)
        slow: dict[str, object] = {}
        stop = threading.Event()

        def keep_busy() -> None:  # a busy sync worker never looks at its parent itself
            while not stop.is_set():
                try:
                    get(server.port, "/healthz", timeout=2)
                except (OSError, http.client.HTTPException):
                    time.sleep(0.01)

        load = [threading.Thread(target=keep_busy) for _ in range(3)]
        request = threading.Thread(
            target=lambda: slow.update(answer=get(server.port, "/slow?seconds=2")))
        for thread in (*load, request):
            thread.start()
        time.sleep(0.5)  # the slow request is in a worker
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()
        killed = time.monotonic()
        time.sleep(0.5)
        with pytest.raises(ConnectionRefusedError):  # not left waiting in a queue
            socket.create_connection(("127.0.0.1", server.port), timeout=2).close()
        request.join(15)
        status, _, body = slow["answer"]  # type: ignore[misc]
        assert (status, json.loads(body)) == (200, {"slept": 2.0})  # finished, not cut
        while any(alive(pid) for pid in pids) and time.monotonic() - killed < 15:
            time.sleep(0.1)
        gone = time.monotonic() - killed
        stop.set()
        for thread in load:
            thread.join(10)
        assert not any(alive(pid) for pid in pids)
        assert gone < 3.5, f"the workers served {gone:.1f}s without their master"
        assert bindable(server.port)
    finally:
        server.stop()
        server.log.close()


def test_the_control_socket_is_off_unless_an_instance_is_given_its_own(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    shared = {"HOME": str(home), "XDG_RUNTIME_DIR": ""}  # where gunicorn's default would be
    own = tmp_path / "b" / "gunicorn.ctl"
    own.parent.mkdir()
    (tmp_path / "a").mkdir()
    first = Server(tmp_path / "a", **shared)
    second = Server(tmp_path / "b", **shared, GUNICORN_CONTROL_SOCKET=str(own))
    try:
        assert list(home.rglob("*")) == []  # no socket every instance of the user shares
        assert stat.S_ISSOCK(own.stat().st_mode) and stat.S_IMODE(own.stat().st_mode) == 0o600
        answer = subprocess.run(
            [str(Path(sys.executable).with_name("gunicornc")), "-s", str(own), "-j",
             "-c", "show workers"], capture_output=True, text=True, check=True,
            env={**os.environ, **shared}, timeout=30).stdout
        shown = {worker["pid"] for worker in json.loads(answer)["workers"]}
        assert shown == workers(second.process.pid)  # this instance's, not the other's
    finally:
        for server in (first, second):
            server.stop()
            server.log.close()
    assert not own.exists()  # removed with its instance
