"""The change log: every committed change to a mission, event, citation, claim, person or
source is an entry, appended in the same transaction as the change, in commit order.

Entries are written by the session itself (``before_commit``), whatever made the change:
an API write, ``flask seed``, a script. A deletion is an entry too (a tombstone). Bulk Core
writes that bypass the ORM (``flask synth``) append their entries with ``reserve``.

Followers read ``seq > N`` and must never miss an entry, so numbers are given out and
committed in one order: each appending transaction takes the log's lock (a transaction-level
advisory lock on PostgreSQL, released by its commit or rollback; SQLite has one writer at
a time anyway), reads the last ``seq`` and appends after it. No transaction can commit a
lower number after a higher one is visible, and numbers have no gaps.

The newest ``seq`` is the data version: caches compare with it, and every event whose
representation a transaction changes (and every person and source it changes) gets that
transaction's last ``seq`` as its ``version``, so ``(id, version)`` names one
representation for good, and a write that read an older version knows it is stale.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, event, func, insert, or_, select, text, update
from sqlalchemy.orm import Session, attributes

from api.domain import searchtext
from api.extensions import db
from api.models import (
    Change,
    Citation,
    Claim,
    Event,
    EventPerson,
    Mission,
    Person,
    RecordRevision,
    Revision,
    Source,
    utcnow,
)
from schemas.change import RESOURCES

MODELS: dict[type[Any], str] = {Mission: "mission", Source: "source", Person: "person",
                                Event: "event", Citation: "citation", Claim: "claim"}
# Keys in ``session.info``: what the transaction's flushes changed, and whether its commit
# appended to the log (the response cache expires after such a commit).
PENDING, CHANGED = "api.pending_changes", "api.data_changed"
# Also in ``session.info``: the last ``seq`` the transaction's commit appended.
LAST = "api.last_seq"
# The entries (dicts of ``Change``'s columns) the transaction's commit is appending.
APPENDED = "api.appended_changes"
# The advisory lock serialising appends on PostgreSQL (any constant the app owns).
LOCK = 0x6D74_6C6F67  # "mtlog"
# The PostgreSQL channel an appending transaction notifies at its commit: a wake-up for
# whoever follows the log in-house (the webhook worker), never the data itself.
CHANNEL = "mission_timeline_changes"


@dataclass
class Pending:
    """What one transaction changed, gathered flush by flush."""

    entries: dict[tuple[str, str], tuple[str, Any]]  # (resource, id) -> (action, record)
    shown_by: set[tuple[str, str]]  # sources and people whose changes show in events
    revisions: dict[tuple[str, str], int]  # (resource, id) -> the revision made


def _note(pending: Pending, resource: str, ident: str, action: str, obj: Any) -> None:
    key = (resource, str(ident))
    before = pending.entries.get(key)
    if before and action != "delete" and before[0] != "update":
        action = before[0]  # created (or restored, deleted) and then changed: still that
    pending.entries[key] = (action, obj)


def _event_action(obj: Event, action: str) -> str:
    if action != "update":
        return action
    added, _, removed = attributes.get_history(obj, "deleted_at")
    if added and added[0] is not None:
        return "delete"
    return "restore" if removed and removed[0] is not None else "update"


def _track(session: Session, _context: object) -> None:
    pending = session.info.setdefault(PENDING, Pending({}, set(), {}))
    dirty = [obj for obj in session.dirty if session.is_modified(obj)]  # net changes only
    for action, objects in (("create", session.new), ("update", dirty),
                            ("delete", session.deleted)):
        for obj in objects:
            if isinstance(obj, Revision | RecordRevision):  # the latest, if several
                key = ("event", obj.event_id) if isinstance(obj, Revision) else (
                    obj.kind, obj.record_id)
                pending.revisions[key] = max(obj.number, pending.revisions.get(key, 0))
            elif isinstance(obj, EventPerson):
                _note(pending, "event", obj.event_id, "update", None)
            elif type(obj) in MODELS:
                resource = MODELS[type(obj)]
                if isinstance(obj, Event):
                    action = _event_action(obj, action)
                _note(pending, resource, obj.id, action, obj)
                if isinstance(obj, Citation | Claim):  # the event (or source) holding it
                    parent = ("event", obj.event_id) if obj.event_id else ("source",
                                                                           obj.source_id)
                    _note(pending, *parent, "update", None)
                if isinstance(obj, Source | Person):
                    pending.shown_by.add((resource, obj.id))


def _parent(obj: Any) -> tuple[str | None, str | None]:
    if isinstance(obj, Citation) or (isinstance(obj, Claim) and obj.event_id):
        return "event", obj.event_id
    if isinstance(obj, Claim):
        return "source", obj.source_id
    return None, None


def reserve(connection: Any) -> int:
    """Take the log's lock for the rest of the transaction on ``connection`` and return
    the first number the caller may append (the last ``seq`` + 1). On PostgreSQL the
    transaction also notifies ``CHANNEL``, which the server delivers if and when it
    commits."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key), pg_notify(:channel, '')"),
                           {"key": LOCK, "channel": CHANNEL})
    return (connection.scalar(select(func.max(Change.seq))) or 0) + 1


def _append(session: Session) -> None:
    session.flush()
    pending: Pending | None = session.info.pop(PENDING, None)
    if pending is None or not pending.entries:
        return
    connection = session.connection()
    first = reserve(connection)
    last = first + len(pending.entries) - 1
    events = {ident for resource, ident in pending.entries if resource == "event"}
    conditions = [Event.id.in_(events)] if events else []
    for resource, column, model in (("source", Citation.source_id, Citation),
                                    ("person", EventPerson.person_id, EventPerson)):
        shown = [ident for kind, ident in pending.shown_by if kind == resource]
        if shown:
            conditions.append(Event.id.in_(select(model.event_id).where(column.in_(shown))))
    for model, resource in ((Person, "person"), (Source, "source")):  # a new version each
        changed = [ident for kind, ident in pending.entries if kind == resource]
        if changed:
            session.execute(update(model).where(model.id.in_(changed)).values(version=last)
                            .execution_options(synchronize_session=False))
    if conditions:  # every event whose representation changed: a new version, new text
        session.execute(update(Event).where(or_(*conditions)).values(version=last)
                        .execution_options(synchronize_session=False))
        ids = session.scalars(select(Event.id).where(or_(*conditions))
                              .execution_options(include_deleted=True))
        searchtext.reindex(connection, list(ids))
    missions = dict(session.execute(
        select(Event.id, Event.mission_id).where(Event.id.in_(
            events | {obj.event_id for _, obj in pending.entries.values()
                      if isinstance(obj, Citation | Claim) and obj.event_id}))
        .execution_options(include_deleted=True)).all())
    at, rows = utcnow(), []
    order = sorted(pending.entries.items(),
                   key=lambda item: (RESOURCES.index(item[0][0]), item[0][1]))
    for seq, ((resource, ident), (action, obj)) in enumerate(order, start=first):
        parent_resource, parent_id = _parent(obj)
        mission = (ident if resource == "mission" else missions.get(ident)
                   if resource == "event" else missions.get(parent_id or ""))
        version = last if resource in ("event", "person", "source") else None
        revision = pending.revisions.get((parent_resource, parent_id) if parent_id
                                         else (resource, ident))
        rows.append({"seq": seq, "at": at, "action": action, "resource": resource,
                     "record_id": ident, "version": version, "revision": revision,
                     "mission_id": mission, "parent_resource": parent_resource,
                     "parent_id": parent_id})
    session.execute(insert(Change), rows)
    session.info[CHANGED], session.info[LAST] = True, last
    session.info[APPENDED] = rows


def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(PENDING, None)


def data_version(connection: Connection | None = None) -> int:
    """The number of the latest committed change (0 before any), read on ``connection``
    (default: the session's)."""
    return (connection or db.session).scalar(select(func.max(Change.seq))) or 0


event.listen(Session, "after_flush", _track)
event.listen(Session, "before_commit", _append)
event.listen(Session, "after_rollback", _forget)
