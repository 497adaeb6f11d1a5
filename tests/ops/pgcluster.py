"""Private PostgreSQL clusters for tests: a primary made by initdb on a free port, and
streaming replicas of it made by pg_basebackup, run as the ``postgres`` user (PostgreSQL
refuses to run as root) in a temporary folder, removed when stopped."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from support import free_port


def bin_dir() -> Path | None:
    """The newest installed PostgreSQL's programs, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _as_postgres(*args: str) -> subprocess.CompletedProcess[str]:
    user = [] if os.geteuid() != 0 else ["runuser", "-u", "postgres", "--"]
    return subprocess.run([*user, *args], capture_output=True, text=True, check=True)


class Cluster:
    """One PostgreSQL server on 127.0.0.1:``port``: a new primary, or (``primary`` given)
    a streaming replica of it."""

    def __init__(self, primary: Cluster | None = None) -> None:
        binaries = bin_dir()
        assert binaries is not None, "PostgreSQL's programs are not installed"
        self.bin, self.port = binaries, free_port()
        self.root = Path(tempfile.mkdtemp(prefix="pgcluster-"))
        self.data = self.root / "data"
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        if primary is None:
            _as_postgres(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                         "--auth=trust", "--no-sync")
        else:
            _as_postgres(str(self.bin / "pg_basebackup"), "-h", "127.0.0.1", "-p",
                         str(primary.port), "-U", "postgres", "-D", str(self.data), "-R",
                         "-X", "stream", "--no-sync")
        self.start()

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -c fsync=off "
                   f"-c unix_socket_directories={self.root}")
        _as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options,
                     "-l", str(self.root / "log"), "-w", "start")

    def sql(self, statement: str) -> str:
        """Run one statement with psql; its output."""
        return _as_postgres(str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port),
                            "-U", "postgres", "-Atc", statement).stdout.strip()

    def wait_for(self, check: str, timeout: float = 30) -> None:
        """Wait until ``check`` (a SQL boolean) is true on this server."""
        deadline = time.monotonic() + timeout
        while self.sql(check) != "t" and time.monotonic() < deadline:
            time.sleep(0.1)

    def processes(self) -> list[int]:
        """The postmaster and every process it started (backends, checkpointer...)."""
        master = int((self.data / "postmaster.pid").read_text().split()[0])
        children = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)],
                                  capture_output=True, text=True).stdout.split()
        return [master, *map(int, children)]

    def freeze(self) -> None:
        """SIGSTOP the server: connections stay open and new ones are still accepted by
        the kernel, but nothing answers (a hung server, or a disk that stopped)."""
        for pid in self.processes():  # the postmaster first: it starts no one meanwhile
            os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        for pid in self.processes():
            os.kill(pid, signal.SIGCONT)

    def restart(self, mode: str = "immediate") -> None:
        """Stop (``immediate``: as a crash, with recovery at the next start) and start."""
        _as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")
        self.start()

    def stop(self) -> None:
        try:
            _as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                         "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
