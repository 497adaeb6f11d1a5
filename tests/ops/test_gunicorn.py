"""The real server: boot.sh migrates, seeds and execs gunicorn; shutdowns are graceful and
a killed worker is replaced without failing requests beyond the one it held."""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import SEEDED, bearer, free_port

from api import create_app
from api.extensions import dispose_engines

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def get(port: int, path: str, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def workers(master: int) -> set[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True,
                         text=True).stdout
    return {int(pid) for pid in out.split()}


def load_deploy() -> Any:
    """deploy/nginx.py as a module (it is a script, not in a package)."""
    spec = importlib.util.spec_from_file_location("deploy_nginx", ROOT / "deploy" / "nginx.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Server(load_deploy().Child):
    """boot.sh (migrate, seed, gunicorn) on a free port, ready once every worker is up."""

    def __init__(self, tmp: Path, count: int = 2, start_timeout: float = 30,
                 **settings: str) -> None:
        self.port = free_port()
        self.database = tmp / "api.sqlite"
        env = {
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
            "DATABASE_URL": f"sqlite:///{self.database}",
            "SEED_ON_START": "1",
            "APP_MODULE": "tests.ops.slow_app:create()",
            "BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": str(count),
            "GRACEFUL_TIMEOUT": "10",
            "PROMETHEUS_MULTIPROC_DIR": str(tmp / "metrics"),
            "RATELIMIT_ENABLED": "0",
            **settings,
        }

        def ready() -> bool:
            return get(self.port, "/healthz", timeout=1)[0] == 200 and len(
                workers(self.process.pid)) == count

        super().__init__(["./boot.sh"], tmp / "server.log", ready, "gunicorn",
                         timeout=start_timeout, cwd=ROOT, env=env)

    def stop(self, timeout: float = 20) -> int:
        return super().stop(timeout)

    def bearer(self, name: str = "curator") -> dict[str, str]:
        """The Authorization header of a new write token on this server's database."""
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{self.database}"})
        try:
            return bearer(app, name)
        finally:
            with app.app_context():
                dispose_engines()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = Server(tmp_path)
    yield running
    running.stop()
    running.log.close()


def test_served_by_gunicorn_without_a_version_banner_and_logging_json(server: Server) -> None:
    status, headers, body = get(server.port, "/v1/events?limit=100")
    assert status == 200 and len(json.loads(body)["items"]) == SEEDED["events"]
    assert headers["Server"] == "mission-timeline"
    assert headers["X-Content-Type-Options"] == "nosniff"
    for _ in range(6):
        get(server.port, "/v1/missions")
    # /metrics adds up every worker (PROMETHEUS_MULTIPROC_DIR).
    metrics = get(server.port, "/metrics")[2].decode()
    line = next(line for line in metrics.splitlines() if line.startswith(
        'http_requests_total{') and 'endpoint="missions.Missions"' in line)
    assert float(line.rsplit(" ", 1)[1]) == 6
    server.stop()
    logs = [json.loads(line) for line in server.output().splitlines()
            if line.startswith("{") and '"api.access"' in line]
    assert {entry["path"] for entry in logs} >= {"/v1/events", "/v1/missions", "/metrics"}


def test_sigterm_lets_in_flight_requests_finish(server: Server) -> None:
    result: dict[str, object] = {}

    def slow() -> None:
        result["response"] = get(server.port, "/slow?seconds=2")

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.7)  # the request is now in a worker
    server.process.send_signal(signal.SIGTERM)
    thread.join(timeout=15)
    status, _, body = result["response"]  # type: ignore[misc]
    assert (status, json.loads(body)) == (200, {"slept": 2.0})
    assert server.process.wait(timeout=15) == 0


def test_a_killed_worker_is_replaced_without_failing_other_requests(server: Server) -> None:
    ok, failed, stop = [0], [0], threading.Event()

    def load() -> None:
        while not stop.is_set():
            try:
                status = get(server.port, "/v1/events?limit=5", timeout=5)[0]
                ok[0] += status == 200
                failed[0] += status != 200
            except (OSError, http.client.HTTPException):
                failed[0] += 1

    threads = [threading.Thread(target=load) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    before = workers(server.process.pid)
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    time.sleep(2.0)
    stop.set()
    for thread in threads:
        thread.join(timeout=10)
    after = workers(server.process.pid)
    assert victim not in after and len(after) == len(before)  # replaced
    assert failed[0] <= 1, f"{failed[0]} failed requests (a sync worker holds one at a time)"
    assert ok[0] > 50
