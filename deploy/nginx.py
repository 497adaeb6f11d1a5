#!/usr/bin/env python3
"""Render deploy/nginx.conf.template, and run nginx as a child process (tests, bench).

    python deploy/nginx.py --listen 0.0.0.0:80 --upstream 127.0.0.1:8000 \\
        --prefix /var/cache/mission-timeline --user www-data > /etc/nginx/nginx.conf
"""

from __future__ import annotations

import argparse
import os
import pwd
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

TEMPLATE = Path(__file__).with_name("nginx.conf.template")
TEMP_DIRS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi", "cache")


def render(listen: str, upstream: str, prefix: str, user: str = "www-data",
           cache_size: str = "1g") -> str:
    """The configuration text with every placeholder filled in."""
    text = TEMPLATE.read_text()
    for name, value in {"LISTEN": listen, "UPSTREAM": upstream, "PREFIX": prefix,
                        "USER": user, "CACHE_SIZE": cache_size}.items():
        text = text.replace(f"@{name}@", value)
    return text


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (the kernel's choice)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Child:
    """A server run as a child process, its output in a log file: started and waited for
    until ``ready()`` (an ``OSError`` counts as not yet), stopped with SIGTERM. The tests'
    gunicorn (tests/ops/test_gunicorn.py) runs on it too."""

    def __init__(self, args: list[str], log: Path, ready: Callable[[], bool], what: str,
                 timeout: float = 10, **popen: Any) -> None:
        self.log = log.open("w+")
        self.process = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT,
                                        **popen)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if ready():
                    return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{what} did not start:\n" + self.output())

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read()

    def stop(self, timeout: float = 10) -> int:
        """SIGTERM (a graceful or fast shutdown), then SIGKILL after ``timeout`` seconds;
        returns the exit status."""
        if self.process.poll() is None:
            self.process.terminate()
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


class Listener(Child):
    """A server child listening on 127.0.0.1:``port``: ready once the port accepts, its
    log closed when it is stopped (nginx, varnishd)."""

    def __init__(self, args: list[str], port: int, log: Path, what: str,
                 timeout: float = 10) -> None:
        self.port = port

        def ready() -> bool:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True

        super().__init__(args, log, ready, what, timeout=timeout)

    def stop(self, timeout: float = 10) -> int:
        try:
            return super().stop(timeout)
        finally:
            self.log.close()


class Nginx(Listener):
    """nginx in the foreground (``daemon off``) with its own prefix under ``prefix``."""

    def __init__(self, prefix: Path, port: int, upstream: str) -> None:
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        for name in TEMP_DIRS:
            (prefix / name).mkdir(parents=True, exist_ok=True)
        user = pwd.getpwuid(os.geteuid()).pw_name  # workers as whoever runs this
        conf = prefix / "nginx.conf"
        conf.write_text(render(f"127.0.0.1:{port}", upstream, str(prefix), user, "64m"))
        super().__init__([nginx, "-p", str(prefix), "-c", str(conf)], port,
                         prefix / "nginx.log", "nginx")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", default="0.0.0.0:80")
    parser.add_argument("--upstream", default="127.0.0.1:8000")
    parser.add_argument("--prefix", default="/var/cache/mission-timeline")
    parser.add_argument("--user", default="www-data")
    parser.add_argument("--cache-size", default="1g")
    args = parser.parse_args()
    print(render(args.listen, args.upstream, args.prefix, args.user, args.cache_size), end="")


if __name__ == "__main__":
    main()
