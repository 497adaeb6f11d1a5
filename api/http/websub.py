"""Feeds that push (W3C WebSub): with ``WEBSUB_HUB`` set, a mission's Atom and JSON
feeds name the hub (``rel="hub"``) and themselves (``rel="self"``), and every change
committed through the API pings the hub (``hub.mode=publish``) for each feed it may change.

A ping never holds up or fails the write: the topics are gathered before the commit and
sent after it by a background thread, each POST bounded by ``WEBSUB_TIMEOUT``; a failure is
logged (``api.websub``), not retried. Writes outside a request (``flask seed``) ping nothing.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from flask import current_app, has_request_context, url_for
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from api.domain import changelog
from api.models import Mission

log = logging.getLogger("api.websub")
TOPICS = "api.websub_topics"  # in ``session.info``: ``ping``'s arguments
FEEDS = ("formats.AtomFeed", "formats.JsonFeed")
_pings = ThreadPoolExecutor(max_workers=1, thread_name_prefix="websub")


def hub_links(self_url: str) -> str:
    """The ``Link`` header a feed answers with (empty without a hub)."""
    hub = current_app.config["WEBSUB_HUB"]
    return f'<{hub}>; rel="hub", <{self_url}>; rel="self"' if hub else ""


def ping(hub: str, topics: list[str], timeout: float) -> None:
    """POST ``hub.mode=publish`` for each topic; log what fails."""
    for topic in topics:
        body = urlencode({"hub.mode": "publish", "hub.url": topic}).encode()
        request = Request(hub, data=body, method="POST",
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urlopen(request, timeout=timeout) as answer:  # the operator's hub
                answer.read()
        except (OSError, ValueError) as error:  # URLError, HTTPError, a timeout; a bad URL
            log.warning("WebSub ping of %s for %s failed: %s", hub, topic, error)


def _gather(session: Session) -> None:
    """Before the commit (after the change log's append): the feeds the changes touch."""
    entries = session.info.pop(changelog.APPENDED, None)
    hub = current_app.config["WEBSUB_HUB"] if has_request_context() else ""
    if not entries or not hub:
        return
    missions = {entry["mission_id"] for entry in entries}
    if None in missions:  # a person or a source: shown by events of any mission
        missions = set(session.scalars(select(Mission.id)))
    topics = [url_for(feed, id=mission, _external=True)
              for mission in sorted(missions) for feed in FEEDS]
    session.info[TOPICS] = (hub, topics, current_app.config["WEBSUB_TIMEOUT"])


def _send(session: Session) -> None:
    pending = session.info.pop(TOPICS, None)
    if pending is not None:
        _pings.submit(ping, *pending).add_done_callback(_report)


def _report(done: Future) -> None:
    """Log what a ping raised beyond the failures it logs itself (a bug: never silent)."""
    if done.exception() is not None:
        log.error("WebSub ping raised", exc_info=done.exception())


def _forget(session: Session, *_args: object) -> None:
    session.info.pop(TOPICS, None)
    session.info.pop(changelog.APPENDED, None)


# Registered after the change log's own hooks (imported above), so they run after them.
event.listen(Session, "before_commit", _gather)
event.listen(Session, "after_commit", _send)
event.listen(Session, "after_rollback", _forget)
