"""The clients of bench/faults.py: a mixed load with writes, every answer recorded, and a
ledger of what the API acknowledged, checked against the database afterwards.

Classes of request (each answer is kept as ``(start, end, class, status)``, status
``"err"`` for no answer: refused, reset, timed out):

- ``cached``: a few public URLs through the front (nginx's cache answers most);
- ``app-cached``: the same URLs sent to gunicorn itself (the per-worker response cache);
- ``varied``: searches with changing words and page sizes through the front (misses);
- ``write``: curators' POSTs of new events and PATCHes of them with If-Match;
- ``healthz``: the liveness probe, sent to gunicorn itself every 0.1 s.
"""

from __future__ import annotations

import http.client
import itertools
import json
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

CACHED = ("/v1/events?limit=20", "/v1/events/soyuz-ms-19-launch", "/v1/missions/the-challenge",
          "/v1/people?limit=5")
WORDS = ("film", "launch", "crew", "dock", "orbit", "return", "station", "camera", "press",
         "director", "actress", "training", "landing", "soyuz", "scene", "medical")
EVENT = {"mission": "the-challenge", "type": "training", "status": "occurred",
         "summary": "Written by bench/faults.py.", "start": {"date": "2021-10-05"},
         "citations": [{"source": "004_ba6c03b084f54831", "quote": "Soyuz MS-19",
                        "supports": ["title"]}]}
TIMEOUT = 30  # seconds a client waits for an answer


def call(port: int, method: str, path: str, body: Any = None,
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        conn.request(method, path, json.dumps(body) if body is not None else None,
                     headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


@dataclass
class Written:
    """One event a writer created: what the API acknowledged last, and what it was sent
    after that without a definite answer (a 5xx or none: it may have been applied; all
    carried the same If-Match, so one at most was)."""

    id: str
    title: str
    etag: str
    unsure: list[str] = field(default_factory=list)
    revisions: int = 1  # the creation, then every edit applied


@dataclass
class Ledger:
    created: dict[str, Written] = field(default_factory=dict)
    unsure_creates: list[str] = field(default_factory=list)  # POSTs with no definite answer
    applied_unacknowledged: int = 0  # writes answered 5xx or not at all, yet applied
    lock: threading.Lock = field(default_factory=threading.Lock)


class Load:
    """The client threads; ``front`` is nginx's port, ``direct`` gunicorn's."""

    def __init__(self, front: int, direct: int, token: str, writers: int = 2) -> None:
        self.front, self.direct, self.token = front, direct, token
        self.answers: list[tuple[float, float, str, str]] = []
        self.ledger = Ledger()
        self.stop = threading.Event()
        self.t0 = time.monotonic()
        self.auth = {"Authorization": f"Bearer {token}"}
        loops = [self._cached, self._cached, self._app_cached, self._app_cached,
                 self._varied, self._varied, self._healthz,
                 *(lambda n=n: self._writer(n) for n in range(writers))]
        self.threads = [threading.Thread(target=loop, daemon=True) for loop in loops]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(TIMEOUT + 5)

    def now(self) -> float:
        return time.monotonic() - self.t0

    def ask(self, cls: str, port: int, method: str, path: str, body: Any = None,
            headers: dict[str, str] | None = None) -> tuple[int | None, dict[str, str], bytes]:
        start = self.now()
        try:
            status, head, data = call(port, method, path, body, headers)
        except (OSError, http.client.HTTPException):
            status, head, data = None, {}, b""
        self.answers.append((start, self.now(), cls, str(status or "err")))
        return status, head, data

    def _cached(self) -> None:
        for path in itertools.cycle(CACHED):
            if self.stop.wait(0.02):
                return
            self.ask("cached", self.front, "GET", path)

    def _app_cached(self) -> None:
        for path in itertools.cycle(CACHED):
            if self.stop.wait(0.02):
                return
            self.ask("app-cached", self.direct, "GET", path)

    def _varied(self) -> None:
        while not self.stop.wait(0.02):
            self.ask("varied", self.front, "GET", f"/v1/events?q={random.choice(WORDS)}"
                     f"&limit={random.randint(1, 50)}")

    def _healthz(self) -> None:
        while not self.stop.wait(0.1):
            self.ask("healthz", self.direct, "GET", "/healthz")

    def _writer(self, n: int) -> None:
        mine: list[Written] = []
        for i in itertools.count():
            if self.stop.wait(0.05):
                return
            if i % 4 == 0 or not mine:
                self._create(f"faults-{n}-{i}", mine)
            else:
                self._patch(mine[i % len(mine)], f"Fault run edit {n}-{i}")

    def _create(self, id: str, mine: list[Written]) -> None:
        title = f"Fault run event {id}"
        status, head, _ = self.ask("write", self.front, "POST", "/v1/events",
                                   {**EVENT, "id": id, "title": title},
                                   {**self.auth, "Content-Type": "application/json"})
        if status == 201:
            written = Written(id, title, head["ETag"].strip('"'))
            mine.append(written)
            with self.ledger.lock:
                self.ledger.created[id] = written
        elif status is None or status >= 500:
            self.ledger.unsure_creates.append(id)

    def _patch(self, written: Written, title: str) -> None:
        status, head, _ = self.ask(
            "write", self.front, "PATCH", f"/v1/events/{written.id}", {"title": title},
            {**self.auth, "Content-Type": "application/merge-patch+json",
             "If-Match": f'"{written.etag}"'})
        if status == 200:
            written.title, written.etag, written.unsure = title, head["ETag"].strip('"'), []
            written.revisions += 1
        elif status is None or status >= 500:
            written.unsure.append(title)
        elif status == 412:  # an edit answered 5xx (or not at all) was applied after all
            current = self.read(written.id)
            if current and current[0] in written.unsure:
                self.ledger.applied_unacknowledged += 1
                written.revisions += 1
                written.title, written.etag, written.unsure = *current, []

    def read(self, id: str) -> tuple[str, str] | None:
        """An event's title and ETag from gunicorn, past every cache (a curator's read)."""
        try:
            status, head, body = call(self.direct, "GET", f"/v1/events/{id}", None, self.auth)
        except (OSError, http.client.HTTPException):
            return None
        return (json.loads(body)["title"], head["ETag"].strip('"')) if status == 200 else None

    def revisions(self, id: str) -> list[dict[str, Any]]:
        path, found = f"/v1/events/{id}/revisions?limit=100", []
        while path:
            status, _, body = call(self.direct, "GET", path, None, self.auth)
            assert status == 200, (path, status)
            page = json.loads(body)
            found += page["items"]
            path = page.get("next") and "/" + page["next"].split("/", 3)[3]
        return found

    def losses(self) -> dict[str, Any]:
        """What the API acknowledged and the database does not show, and revisions that
        disagree with their record (read once every fault is over)."""
        missing, lost, out_of_step = [], [], []
        for id, written in self.ledger.created.items():
            current = self.read(id)
            if current is None:
                missing.append(id)
                continue
            if current[0] != written.title:
                if current[0] in written.unsure:
                    self.ledger.applied_unacknowledged += 1
                else:
                    lost.append((id, written.title, current[0]))
            revisions = self.revisions(id)
            numbers = [r["number"] for r in revisions]
            if (numbers != list(range(1, len(numbers) + 1))
                    or revisions[-1]["snapshot"]["title"] != current[0]
                    or len(numbers) != written.revisions + (current[0] != written.title)):
                out_of_step.append((id, numbers, written.revisions))
        unsure_applied = sum(self.read(id) is not None for id in self.ledger.unsure_creates)
        return {"events_created": len(self.ledger.created),
                "acknowledged_creates_missing": missing,
                "acknowledged_edits_lost": lost,
                "revisions_out_of_step": out_of_step,
                "unacknowledged_but_applied": self.ledger.applied_unacknowledged + unsure_applied}
