"""gunicorn settings for the Mission Timeline API, every one read from the environment.

Run: ``gunicorn 'api:create_app()'`` (this file is read from the working directory).
"""

import ctypes
import json
import logging
import os
import re
import shutil
import signal

import gunicorn.http.wsgi
import gunicorn.util

# No server name and version banner in every response.
gunicorn.http.wsgi.SERVER = "mission-timeline"


def write_problem(sock, status_int, reason, mesg):
    """gunicorn's answer to a request it cannot parse (400, 414, 431...), as
    application/problem+json like every error of the app, instead of an HTML page."""
    body = json.dumps({"type": "about:blank", "title": reason, "status": status_int,
                       "detail": mesg or reason}).encode()
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
            "Content-Type: application/problem+json\r\nCache-Control: no-store\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    gunicorn.util.write_nonblock(sock, head.encode("latin-1") + body)


gunicorn.util.write_error = write_problem


class WithholdClientAddress(logging.Filter):
    """gunicorn's warnings name the client ("Invalid request from ip=..."); client
    addresses are never logged (docs/operations.md): the address is withheld."""

    PATTERN = re.compile(r"\bip=\S+?:")

    def filter(self, record):
        message = record.getMessage()
        if "ip=" in message:
            record.msg, record.args = self.PATTERN.sub("ip=[withheld]:", message), ()
        return True


logging.getLogger("gunicorn.error").addFilter(WithholdClientAddress())

bind = os.environ.get("BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1) + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# A worker silent for this long is killed and replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# On SIGTERM, in-flight requests get this long to finish before workers are killed.
graceful_timeout = int(os.environ.get("GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("KEEPALIVE", "5"))
# The longest request line and header gunicorn reads (beyond them it answers 414/431 itself,
# in HTML). 8190 is gunicorn's maximum; every request within the OpenAPI document's limits
# (cursor, q, ids, If-Match) fits with room to spare (tests/ops/test_request_limits.py).
limit_request_line = int(os.environ.get("LIMIT_REQUEST_LINE", "8190"))
limit_request_field_size = int(os.environ.get("LIMIT_REQUEST_FIELD_SIZE", "8190"))
# Recycle workers after this many requests (0: never), jittered so they do not all restart.
max_requests = int(os.environ.get("MAX_REQUESTS", "0"))
max_requests_jitter = max(1, max_requests // 10)
# The app writes one JSON line per request itself; gunicorn's own log goes to stderr.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Heartbeat files in memory, not on a possibly slow container filesystem.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# Trust X-Forwarded-Proto etc. only from these addresses (see also PROXY_COUNT).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn's control socket (gunicornc) defaults to one path per user ($XDG_RUNTIME_DIR or
# ~/.gunicorn/gunicorn.ctl): every instance a user starts takes it over from the last one,
# so `gunicornc shutdown` would stop whichever started last. Off unless a path of this
# instance's own is given; only its owner may connect (0600).
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket
control_socket_mode = 0o600

METRICS_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR")


def on_starting(server):
    """Start every run with empty per-process metric files."""
    if METRICS_DIR:
        shutil.rmtree(METRICS_DIR, ignore_errors=True)
        os.makedirs(METRICS_DIR, exist_ok=True)


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def post_worker_init(worker):
    """A worker never outlives its master. A SIGKILLed master leaves its workers running
    and holding the port (a restarted gunicorn cannot bind it) until they next look at
    their parent, which a busy sync worker does not: the kernel sends each one SIGTERM
    when the master dies (Linux's parent-death signal), it closes its copy of the listening
    socket (once every worker has, new connections are refused at once instead of waiting
    in its queue), finishes the request under way and exits, within GRACEFUL_TIMEOUT at
    most (then SIGALRM ends it, as the master's SIGKILL would have)."""
    prctl = getattr(ctypes.CDLL(None, use_errno=True), "prctl", None)  # Linux only
    if prctl is None or prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        worker.log.warning("workers may outlive a killed master: no parent-death signal")
    if os.getppid() != worker.ppid:  # the master died before the call above
        worker.alive = False

    def exit_within_grace(signum, frame):
        worker.handle_exit(signum, frame)
        signal.alarm(max(1, worker.cfg.graceful_timeout))
        if os.getppid() != worker.ppid:  # orphaned: nobody will serve what queues up here
            for listener in worker.sockets:
                listener.close()

    signal.signal(signal.SIGTERM, exit_within_grace)
    signal.siginterrupt(signal.SIGTERM, False)  # as gunicorn's own handler: requests go on


def child_exit(server, worker):
    """A dead worker's gauges no longer count (its counters still add up)."""
    if METRICS_DIR:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
