"""The delivery engine: a worker drains the change log into every subscription.

Each subscription has a cursor, the last ``seq`` it received (or that its filters passed
over), stored with it. The worker sends the entries after it, in ``seq`` order, one at a
time, signed by the Standard Webhooks scheme; only a 2xx answer moves the cursor on, in
the same transaction that records the attempt. So a worker killed at any moment resumes
where the database says, and an entry is never skipped: at worst it is sent again (its
``webhook-id`` is the same on every retry, for receivers to drop repeats).

A failed attempt (no answer, a timeout, a non-2xx status, a redirect, or an address the
URL may not resolve to) waits ``WEBHOOK_RETRY_SECONDS``, doubling after each further
failure up to ``WEBHOOK_RETRY_MAX_SECONDS``; after ``WEBHOOK_MAX_FAILURES`` in a row the
subscription is disabled and says why. A replay moves the cursor back and enables it again.
"""

from __future__ import annotations

import base64
import datetime as dt
import http.client
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
from typing import Any

import orjson
from flask import current_app
from sqlalchemy import Select, or_, select, update
from standardwebhooks import Webhook as Signer

from api.domain.changelog import data_version
from api.extensions import db
from api.models import Change, utcnow
from api.webhooks.addresses import refusal
from api.webhooks.models import Delivery, Webhook
from schemas.change import ChangeSchema

BATCH = 100  # entries per subscription per round: one busy subscription cannot starve others
FILTERS = {"mission": Change.mission_id, "resource": Change.resource, "action": Change.action}
USER_AGENT = "mission-timeline-webhooks/1"


def new_secret() -> str:
    """A signing secret in the Standard Webhooks form: ``whsec_`` + base64 of 32 bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def matching(filters: dict[str, list[str]], after: int, last: int) -> Select:
    """The entries after ``after`` up to ``last`` that ``filters`` let through."""
    stmt = select(Change).where(Change.seq > after, Change.seq <= last)
    for name, values in filters.items():
        stmt = stmt.where(FILTERS[name].in_(values))
    return stmt.order_by(Change.seq)


@dataclass(frozen=True)
class Target:
    """What an attempt needs of a subscription, read before any request goes out."""

    id: int
    url: str
    secret: str
    epoch: int
    failures: int


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: Any) -> None:
        return None  # a 3xx is the receiver's answer (a failure), never followed


# No proxy and no redirects: the request goes to the address just checked.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects)


def send(url: str, body: bytes, headers: dict[str, str], timeout: float
         ) -> tuple[int | None, str | None]:
    """POST ``body`` to ``url``: the answer's status (None if none came) and, unless it is
    a 2xx, why the attempt failed."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with OPENER.open(request, timeout=timeout) as response:
            response.read(65536)
            return response.status, None
    except urllib.error.HTTPError as error:
        error.close()
        return error.code, f"The receiver answered {error.code}."
    except (OSError, http.client.HTTPException) as error:  # URLError, timeouts, resets
        reason = getattr(error, "reason", None) or error
        return None, f"No answer: {type(reason).__name__}: {reason}"[:500]


def signed_headers(target: Target, message_id: str, body: bytes) -> dict[str, str]:
    now = dt.datetime.now(dt.UTC)
    return {"Content-Type": "application/json", "User-Agent": USER_AGENT,
            "webhook-id": message_id, "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Signer(target.secret).sign(message_id, now, body)}


def _after_failure(target: Target, error: str, now: dt.datetime) -> dict[str, Any]:
    config = current_app.config
    failures = target.failures + 1
    wait = min(config["WEBHOOK_RETRY_SECONDS"] * 2 ** (failures - 1),
               config["WEBHOOK_RETRY_MAX_SECONDS"])
    values: dict[str, Any] = {"failures": failures,
                              "retry_at": now + dt.timedelta(seconds=wait)}
    if failures >= config["WEBHOOK_MAX_FAILURES"]:
        values |= {"disabled_at": now, "disabled_reason":
                   f"Disabled after {failures} failed deliveries in a row; the last: {error}"}
    return values


def attempt(target: Target, seq: int, body: bytes) -> bool:
    """Send one entry; record the attempt and move the cursor (on a 2xx) or schedule the
    retry, in one transaction. Whether it was delivered (False too when a replay or a
    delete changed the subscription meanwhile: nothing is recorded then)."""
    config = current_app.config
    message_id = f"msg_{target.id}_{target.epoch}_{seq}"
    started, clock = utcnow(), time.monotonic()
    error = refusal(target.url, config["WEBHOOK_ALLOW_NETWORKS"])
    status = None
    if error is None:
        status, error = send(target.url, body, signed_headers(target, message_id, body),
                             config["WEBHOOK_TIMEOUT"])
    ok = error is None
    values = ({"cursor": seq, "failures": 0, "retry_at": None} if ok
              else _after_failure(target, error or "", utcnow()))
    done = db.session.execute(
        update(Webhook).where(Webhook.id == target.id, Webhook.epoch == target.epoch)
        .values(**values).execution_options(synchronize_session=False))
    if done.rowcount != 1:
        db.session.rollback()
        return False
    db.session.add(Delivery(
        webhook_id=target.id, seq=seq, message_id=message_id, attempt=target.failures + 1,
        at=started, duration_ms=round((time.monotonic() - clock) * 1000), status=status,
        error=error, ok=ok))
    db.session.commit()
    if not ok:
        current_app.logger.warning("Webhook %s: delivery of seq %s failed: %s",
                                   target.id, seq, error)
    return ok


def payloads(changes: list[Change], api_root: str) -> list[tuple[int, bytes]]:
    """Each entry's ``seq`` and body: the entry as ``GET /v1/changes`` shows it, links
    starting at ``api_root``."""
    with current_app.test_request_context(base_url=api_root):
        schema = ChangeSchema()
        return [(change.seq, orjson.dumps(schema.dump(change))) for change in changes]


def drain(hook: Webhook, last: int) -> None:
    """Deliver ``hook``'s entries up to ``last`` (at most ``BATCH``) in order, stopping at
    the first failure; with none left to send, pass the cursor over the rest."""
    target = Target(hook.id, hook.url, hook.secret, hook.epoch, hook.failures)
    changes = list(db.session.scalars(matching(hook.filters, hook.cursor, last).limit(BATCH)))
    bodies = payloads(changes, hook.api_root)
    db.session.rollback()  # no transaction stays open while requests go out
    for seq, body in bodies:
        if not attempt(target, seq, body):
            return
        target = replace(target, failures=0)
    if len(bodies) < BATCH:
        db.session.execute(update(Webhook).where(
            Webhook.id == target.id, Webhook.epoch == target.epoch, Webhook.cursor < last)
            .values(cursor=last).execution_options(synchronize_session=False))
        db.session.commit()


def deliver_due() -> int:
    """One round: every enabled subscription with entries to receive and no back-off
    pending is drained. Returns how many were."""
    last = data_version()
    due = list(db.session.scalars(select(Webhook.id).where(
        Webhook.disabled_at.is_(None), Webhook.cursor < last,
        or_(Webhook.retry_at.is_(None), Webhook.retry_at <= utcnow())).order_by(Webhook.id)))
    for ident in due:
        db.session.remove()  # a fresh read of each: a replay or delete may have come
        hook = db.session.get(Webhook, ident)
        if hook is not None and hook.disabled_at is None:
            drain(hook, last)
    db.session.remove()
    return len(due)
