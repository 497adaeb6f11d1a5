"""Fault injection: a mixed load with writes while PostgreSQL freezes and restarts, Redis
hangs and gunicorn's workers and master are SIGKILLed; what clients saw, and what was lost.

    .venv/bin/python bench/faults.py [--workers 4] [--scale 1.0] [--recovery 20]

Everything runs on 127.0.0.1, started and stopped here: a private PostgreSQL cluster
(tests/ops/pgcluster.py: initdb on a free port, a temporary folder), Redis reached through
a proxy that can hang it (tests/ops/tcpproxy.py, in front of 127.0.0.1:6379; the
rate-limit counters live there), gunicorn through boot.sh (migrated and seeded, production
settings but for rate limits high enough never to refuse), and nginx from deploy/ in
front. A supervisor restarts gunicorn whenever its master dies, as a container runtime or
systemd would. The clients are bench/faultload.py's.

After a quiet start, one fault after another, each followed by ``--recovery`` seconds:

1. PostgreSQL frozen (SIGSTOP of every server process) for 30 s, then thawed;
2. PostgreSQL crashed and restarted (``pg_ctl stop -m immediate``, then start);
3. Redis hung for 30 s (connections accepted, nothing answered), then back;
4. one worker SIGKILLed; 5. every worker SIGKILLed at once;
6. the master SIGKILLed (the supervisor starts boot.sh again).

Printed: the answers of every second per class and status, then per fault the answers
per class and status, the longest gap without a successful answer and the slowest answer,
and once every fault is over what was lost: acknowledged writes missing, revisions out of
step with their record. ``--scale`` stretches or shrinks every duration.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "bench"), str(ROOT / "tests"), str(ROOT / "tests" / "ops"),
                 str(ROOT / "deploy")]
from faultload import Load  # noqa: E402
from nginx import Child, Nginx  # noqa: E402
from pgcluster import Cluster  # noqa: E402
from tcpproxy import Proxy  # noqa: E402
from test_gunicorn import free_port, get, workers  # noqa: E402
from test_gunicorn_master import alive  # noqa: E402

CLASSES = ("cached", "app-cached", "varied", "write", "healthz")
SUCCESS = {"200", "201", "304"}


class Gunicorn(Child):
    """boot.sh (migrate, seed, gunicorn) on ``port``: ready once every worker is up."""

    def __init__(self, log: Path, env: dict[str, str], port: int, count: int) -> None:
        self.port, self.count = port, count
        super().__init__(["./boot.sh"], log, self.ready, "gunicorn", timeout=180, cwd=ROOT,
                         env=env)

    def ready(self) -> bool:
        return get(self.port, "/healthz", timeout=1)[0] == 200 and len(
            workers(self.process.pid)) == self.count


class Supervised:
    """gunicorn on one port, started again when its master dies (until one instance
    serves: a port still held by the old workers fails the new master's bind)."""

    def __init__(self, tmp: Path, env: dict[str, str], port: int, count: int) -> None:
        self.tmp, self.env, self.port, self.count, self.starts = tmp, env, port, count, 0
        self.server = self.start()

    def start(self) -> Gunicorn:
        for _ in range(30):
            self.starts += 1
            try:
                return Gunicorn(self.tmp / f"server-{self.starts}.log", self.env, self.port,
                                self.count)
            except RuntimeError:
                continue
        sys.exit("gunicorn did not start in 30 attempts")

    @property
    def pid(self) -> int:
        return self.server.process.pid

    def kill_master(self) -> dict[str, Any]:
        """SIGKILL the master; the supervisor starts a new one at once. Also timed: how
        long its workers lived on (holding the port)."""
        killed, starts, orphans = time.monotonic(), self.starts, workers(self.pid)
        gone: list[float] = []

        def watch() -> None:
            while any(alive(pid) for pid in orphans):
                time.sleep(0.05)
            gone.append(time.monotonic() - killed)

        watcher = threading.Thread(target=watch)
        os.kill(self.pid, signal.SIGKILL)
        watcher.start()
        self.server.process.wait()
        self.server.log.close()
        self.server = self.start()
        watcher.join()
        return {"workers_gone_after_s": round(gone[0], 2),
                "serving_again_after_s": round(time.monotonic() - killed, 2),
                "boot_attempts": self.starts - starts}

    def kill_workers(self, count: int) -> dict[str, Any]:
        victims = sorted(workers(self.pid))[:count]
        for pid in victims:
            os.kill(pid, signal.SIGKILL)
        return {"killed": len(victims)}


def token(env: dict[str, str]) -> str:
    return subprocess.run(
        [str(Path(sys.executable).with_name("flask")), "--app", "api", "tokens", "create",
         "--name", f"faults-{os.getpid()}"], cwd=ROOT, env=env, capture_output=True, text=True,
        check=True).stdout.strip()


def per_second(answers: list[tuple[float, float, str, str]], marks: list[tuple[float, str]],
               ) -> list[str]:
    """One line per second: the answers received in it, per class and status."""
    seconds: dict[int, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    for _, end, cls, status in answers:
        seconds[int(end)][cls][status] += 1
    lines, marks = [], sorted(marks)
    for second in range(max(seconds, default=-1) + 1):
        label = next((name for at, name in reversed(marks) if at <= second + 0.5), "")
        cells = [f"{cls} " + " ".join(f"{status}:{n}" for status, n in
                                      sorted(seconds[second][cls].items()))
                 for cls in CLASSES if seconds[second][cls]]
        lines.append(f"{second:4d}s {label[:24]:24} " + " | ".join(cells))
    return lines


def window(answers: list[tuple[float, float, str, str]], start: float, end: float,
           ) -> dict[str, Any]:
    """Per class: answers by status, the longest time without a successful answer and the
    slowest answer, among the requests answered between ``start`` and ``end``."""
    report: dict[str, Any] = {}
    for cls in CLASSES:
        mine = [(s, e, status) for s, e, c, status in answers if c == cls and start <= e < end]
        ok = sorted(e for _, e, status in mine if status in SUCCESS)
        edges = [start, *ok, end]
        report[cls] = {
            "answers": dict(sorted(Counter(status for *_, status in mine).items())),
            "longest_gap_s": round(max(b - a for a, b in itertools.pairwise(edges)), 2),
            "slowest_s": round(max((e - s for s, e, _ in mine), default=0), 2),
        }
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--scale", type=float, default=1.0, help="times every duration")
    parser.add_argument("--recovery", type=float, default=20.0, help="seconds after a fault")
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="faults-"))
    cluster = Cluster()
    redis = Proxy(("127.0.0.1", 6379))
    port = free_port()
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
           "DATABASE_URL": cluster.url, "SEED_ON_START": "1", "BIND": f"127.0.0.1:{port}",
           "WEB_CONCURRENCY": str(args.workers), "PROMETHEUS_MULTIPROC_DIR": str(tmp / "m"),
           "REDIS_URL": f"redis://127.0.0.1:{redis.port}/0", "PROXY_COUNT": "1",
           "RATELIMIT_READ": "100000000 per minute", "RATELIMIT_WRITE": "100000000 per minute",
           "LOG_LEVEL": "WARNING"}
    server = front = load = None
    try:
        server = Supervised(tmp, env, port, args.workers)
        front = Nginx(tmp / "nginx", free_port(), f"127.0.0.1:{port}")
        load = Load(front.port, port, token(env), args.writers)
        pause = lambda seconds: time.sleep(seconds * args.scale)  # noqa: E731
        faults: list[tuple[str, Callable[[], Any]]] = [
            ("PostgreSQL frozen 30 s", lambda: (cluster.freeze(), pause(30), cluster.thaw())),
            ("PostgreSQL crash-restarted", cluster.restart),
            ("Redis hung 30 s", lambda: (redis.freeze(), pause(30), redis.restore())),
            ("one worker SIGKILLed", lambda: server.kill_workers(1)),
            ("every worker SIGKILLed", lambda: server.kill_workers(args.workers)),
            ("master SIGKILLed", server.kill_master),
        ]
        load.start()
        marks, results = [(0.0, "quiet")], []
        pause(15)
        for name, inject in faults:
            start = load.now()
            marks.append((start, name))
            outcome = inject()
            injected = load.now()
            marks.append((injected, f"after: {name}"))
            time.sleep(args.recovery * args.scale)
            results.append({"fault": name, "from_s": round(start, 1),
                            "fault_over_s": round(injected, 1), "to_s": round(load.now(), 1),
                            **({"outcome": outcome} if isinstance(outcome, dict) else {}),
                            "clients": window(load.answers, start, load.now())})
        load.finish()
        lost = load.losses()
    finally:
        if load:
            load.finish()
        for child in (front, server and server.server):
            if child:
                child.stop(20)
        redis.close()
        cluster.stop()
    print("\n".join(per_second(load.answers, marks)))
    figures = {"workers": args.workers, "scale": args.scale, "recovery_s": args.recovery,
               "load_average": os.getloadavg(), "baseline": window(load.answers, 0, 15),
               "faults": results, "lost": lost,
               "writes_acknowledged": sum(1 for *_, c, s in load.answers
                                          if c == "write" and s in SUCCESS)}
    print(json.dumps(figures, indent=1))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    if lost["acknowledged_creates_missing"] or lost["acknowledged_edits_lost"] or lost[
            "revisions_out_of_step"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
