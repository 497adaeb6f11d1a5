"""What bench/run.py is made of: databases, gunicorn servers, wrk, and the ceiling.

Every process started here is started and stopped by us only (its own session), and
every wrk run is bounded; traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import os
import platform
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"


sys.path.insert(0, str(ROOT / "deploy"))  # deploy/ holds scripts, not a package
from nginx import free_port  # noqa: E402  (the tests' too)

PORT = free_port()
BASE = f"http://{HOST}:{PORT}"
CEILING_PORT = next(port for port in iter(free_port, None) if port != PORT)
WORKERS = 2
CONNECTIONS = 4  # two per worker: the workers never wait for wrk, queues stay short


@dataclass
class Result:
    backend: str
    events: int
    name: str
    rps: float | None = None
    p50: float | None = None  # milliseconds
    p99: float | None = None
    size: int | None = None
    errors: int = 0
    ceiling: Result | None = None  # measured in the same block, minutes apart at most

    def ratio(self) -> float:
        return self.rps / (self.ceiling or self).rps

    @classmethod
    def mean(cls, name: str, runs: list[Result]) -> Result:
        """One row for several runs of the same thing (equally long): the means of their
        rates, p50s and p99s (wrk gives no whole distribution to merge; the worst run's p99
        would stand for about the 99.8th percentile of five)."""
        first, n = runs[0], len(runs)
        return cls(first.backend, first.events, name, sum(r.rps for r in runs) / n,
                   sum(r.p50 for r in runs) / n, sum(r.p99 for r in runs) / n,
                   first.size, sum(r.errors for r in runs))


def run(cmd: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        sys.exit(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def database(backend: str, events: int, pg_url: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{OUT / f'bench-{events}.sqlite'}"
    joiner = "&" if "?" in pg_url else "?"  # e.g. ?host=/var/run/postgresql (a socket)
    return f"{pg_url}{joiner}options=-csearch_path%3Dbench_{events}"


def build(backend: str, events: int, url: str, pg_url: str, rebuild: bool) -> str:
    """Seeds + ``events`` synthetic events; returns what ``flask synth`` reported. On
    PostgreSQL the tables are then vacuumed and analysed, as after any bulk load (else
    the visibility map is empty and no scan is index-only until autovacuum runs)."""
    marker = OUT / f"bench-{backend}-{events}.done"
    # A bulk load's statements may take minutes: more than a request's deadline.
    env = {**os.environ, "DATABASE_URL": url, "DB_STATEMENT_TIMEOUT": str(3_600_000)}
    if marker.exists() and not rebuild:
        run([str(BIN / "flask"), "--app", "api", "db", "upgrade"], env)  # the code's schema
        _vacuum(backend, events, pg_url)
        return marker.read_text().strip() + " (reused, migrated)"
    marker.unlink(missing_ok=True)
    if backend == "sqlite":
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    else:
        import psycopg

        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS bench_{events} CASCADE")
            conn.execute(f"CREATE SCHEMA bench_{events}")
    run([str(BIN / "flask"), "--app", "api", "seed"], env)
    report = run([str(BIN / "flask"), "--app", "api", "synth", "--events", str(events)], env)
    _vacuum(backend, events, pg_url)
    marker.write_text(report)
    return report.strip()


def _vacuum(backend: str, events: int, pg_url: str) -> None:
    """VACUUM ANALYZE the tables of this size's PostgreSQL schema (only those: a bare
    VACUUM would walk every schema of the database)."""
    if backend == "postgresql":
        import psycopg

        with psycopg.connect(pg_url, autocommit=True) as conn:
            tables = [name for (name,) in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s", (f"bench_{events}",))]
            conn.execute("VACUUM ANALYZE " + ", ".join(f"bench_{events}.{t}" for t in tables))


class Server:
    """gunicorn with 2 sync workers on 127.0.0.1, started and stopped by us only."""

    def __init__(self, app: str, env: dict[str, str], port: int = PORT) -> None:
        env = {"RATELIMIT_ENABLED": "0", **env}  # measure the app, not 429s from one client
        self.base = f"http://{HOST}:{port}"
        self.proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "-w", str(WORKERS), "-b", f"{HOST}:{port}",
             "--log-level", "warning", app],
            cwd=ROOT, env=env, start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                fetch(self.base + "/")
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        sys.exit(f"gunicorn ({app}) did not start")

    def worker_rss_mb(self) -> float:
        """The largest resident set of the workers, in MB."""
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        sizes = []
        for pid in children.split():
            status = Path(f"/proc/{pid}/status").read_text()
            sizes.append(int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024)
        return max(sizes)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def _wrk(url: str, seconds: int, headers: dict[str, str]) -> Result:
    """One wrk run against ``url`` (bounded: ``seconds``): rate, p50, p99, errors."""
    cmd = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", url]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    output = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    if "Latency Distribution" not in output:
        sys.exit(f"{' '.join(cmd)}: unexpected output\n{output}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return Result("", 0, url, float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
                  _ms(re.search(r"^\s+50%\s+(\S+)$", output, re.M).group(1)),
                  _ms(re.search(r"^\s+99%\s+(\S+)$", output, re.M).group(1)),
                  errors=int(errors.group(1)) if errors else 0)


def _warm(url: str, headers: dict[str, str]) -> None:
    for _ in range(4 * WORKERS):  # every worker has served (and cached) it
        fetch(url, headers)


def _fill(result: Result, runs: list[Result]) -> Result:
    figures = Result.mean(result.name, runs)
    result.rps, result.p50, result.p99, result.errors = (
        figures.rps, figures.p50, figures.p99, figures.errors)
    return result


def wrk(result: Result, url: str, seconds: float, headers: dict[str, str]) -> Result:
    """Fill ``result`` with wrk's figures for ``url`` (bounded: ``seconds``)."""
    _warm(url, headers)
    return _fill(result, [_wrk(url, max(1, round(seconds)), headers)])


def paired(result: Result, url: str, headers: dict[str, str], ceiling_base: str,
           seconds: float) -> Result:
    """``wrk`` of ``url`` in one-second slices interleaved with as many of the ceiling
    (``ceiling_base``, already serving), in the order A C C A A C ... so that neither
    side always goes first: ``result`` gets the app's figures and ``result.ceiling`` the
    ceiling's, measured during the same seconds. (The machine's pace drifts: one server's
    rate moved by a third between consecutive 3-second runs. A ratio between figures taken
    minutes apart measured the drift as much as the code.)"""
    ceiling_url = ceiling_base + "/"
    _warm(url, headers)
    _warm(ceiling_url, {})
    app_runs: list[Result] = []
    ceiling_runs: list[Result] = []
    for i in range(2 * max(1, round(seconds))):
        if i % 4 in (0, 3):
            app_runs.append(_wrk(url, 1, headers))
        else:
            ceiling_runs.append(_wrk(ceiling_url, 1, {}))
    result.ceiling = Result.mean("ceiling", ceiling_runs)
    return _fill(result, app_runs)


def ceiling_server(url: str, port: int = CEILING_PORT) -> tuple[Server, int]:
    """The bare Flask route serving the bytes of this database's first page (fetched from
    the API), on ``port``; and the size of those bytes."""
    server = Server("api:create_app()", {**os.environ, "DATABASE_URL": url})
    try:
        body = fetch(server.base + "/v1/events?limit=50")[2]
    finally:
        server.stop()
    path = OUT / "ceiling-body.json"
    path.write_bytes(body)
    return Server("bench.ceiling:app", {**os.environ, "BENCH_BODY": str(path)}, port), len(body)


def ceiling(backend: str, events: int, url: str, seconds: float) -> Result:
    """The bare Flask route serving the bytes of this database's first page, measured alone."""
    server, size = ceiling_server(url)
    try:
        return wrk(Result(backend, events, "bare Flask route (ceiling)", size=size),
                   server.base + "/", seconds, {})
    finally:
        server.stop()


def table(results: list[Result]) -> str:
    lines = ["| DB | events | endpoint | req/s | x ceiling | ceiling req/s | p50 ms | p99 ms "
             "| bytes |", "|---|---:|---|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        if r.rps is None:
            lines.append(f"| {r.backend} | {r.events:,} | {r.name} | n/a | n/a | n/a | n/a | n/a "
                         "| n/a |")
            continue
        errors = f" ({r.errors} errors)" if r.errors else ""
        ratio = f"{r.ratio():.2f}" if r.ceiling else "n/a"
        top = f"{r.ceiling.rps:,.0f}" if r.ceiling else "n/a"
        lines.append(f"| {r.backend} | {r.events:,} | {r.name}{errors} | {r.rps:,.0f} | "
                     f"{ratio} | {top} | {r.p50:.2f} | {r.p99:.2f} | {r.size:,} |")
    return "\n".join(lines)


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
               platform.processor())
    mem = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout
    versions = subprocess.run(
        [str(BIN / "python"), "-c", "import flask, sqlalchemy, gunicorn, sqlite3, psycopg;"
         "print(f'Flask {flask.__version__}, SQLAlchemy {sqlalchemy.__version__}, "
         "gunicorn {gunicorn.__version__}, SQLite {sqlite3.sqlite_version}, "
         "psycopg {psycopg.__version__}')"],
        capture_output=True, text=True).stdout.strip()
    return (f"{os.cpu_count()} CPUs ({cpu}), {mem / 1024 / 1024:.1f} GiB RAM, "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}, "
            f"{versions}, {wrk_version.split(chr(10))[0].split(' [')[0].strip()}")
