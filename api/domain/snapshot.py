"""The whole dataset at one point of the change log, record by record, in bounded memory.

A snapshot reads every live mission, source, person and event (citations, people and
claims inside their event) in their seed-file form, inside one read transaction
(REPEATABLE READ on PostgreSQL; on SQLite, whose write-ahead log gives a reader one state
too), so writes committed meanwhile are not seen and go on unhindered. It is stamped with
the last ``seq`` of the change log it reads first, so the snapshot and
``/v1/changes?after=seq`` together give the live state exactly.

The seed-file form of an event, a person or a source is what its latest revision keeps:
every write records one, dumped by the record's schema in the write's own transaction
(api/domain/history.py), and ``/v1/changes`` links each change to it, so followers store
that very form. The snapshot serves the stored JSON of that revision as it is, streamed
from one query (a server-side cursor on PostgreSQL) without loading or dumping the record
again: that is what makes a million events a matter of seconds. A record that has no
revision (a mission, or a person or source that predates the history) is loaded and
dumped by its schema, a batch at a time, in its place in the order.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
from marshmallow import Schema
from sqlalchemy import Connection, Select, Text, cast, null, select
from sqlalchemy.orm import Session, selectinload

from api.domain.changelog import MODELS, data_version
from api.domain.history import TRACKED
from api.domain.store import KINDS
from api.extensions import db
from api.models import Event, RecordRevision, Revision
from schemas.seedform import seed_form

BATCH = 1000  # rows fetched (and records held) at a time
DETAILS = {Event: (selectinload(Event.citations), selectinload(Event.people),
                   selectinload(Event.claims))}
# Where each kind's revisions are: the table, its column naming the record, and which rows.
HISTORY: dict[type[db.Model], tuple[Any, Any, tuple[Any, ...]]] = {
    Event: (Revision, Revision.event_id, ()),
    **{model: (RecordRevision, RecordRevision.record_id, (RecordRevision.kind == kind,))
       for model, (kind, _) in TRACKED.items()},
}


def open_read() -> Connection:
    """A connection holding one consistent read of the database until it is closed."""
    connection = db.engine.connect()
    if connection.dialect.name == "postgresql":
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        connection.exec_driver_sql("SET TRANSACTION READ ONLY")
    else:
        connection.exec_driver_sql("BEGIN")  # the driver begins none for a SELECT
    return connection


def stored(model: type[db.Model]) -> Select:
    """The live records of ``model`` by id, each with the JSON its latest revision keeps
    (as stored, text), or NULL when it has none."""
    latest: Any = null()
    if model in HISTORY:
        revision, key, which = HISTORY[model]
        # Looked up record by record along the id order (an index gives each its newest),
        # so the rows stream from the first: no join of whole tables, no sort.
        latest = (select(cast(revision.snapshot, Text)).where(key == model.id, *which)
                  .order_by(revision.number.desc()).limit(1).scalar_subquery())
    stmt = select(model.id, latest).order_by(model.id)
    # Run on the connection (Core), where the session's filter of deleted events
    # (api/models.py) does not apply.
    return stmt.where(Event.deleted_at.is_(None)) if model is Event else stmt


def _dumped(session: Session, model: type[db.Model], schema: type[Schema],
            ids: list[str]) -> dict[str, dict[str, Any]]:
    """The records ``ids`` of ``model`` dumped by ``schema`` into their seed-file form."""
    if not ids:
        return {}
    found = session.scalars(select(model).where(model.id.in_(ids))
                            .options(*DETAILS.get(model, ())))
    return {obj.id: seed_form(schema, obj) for obj in found}


def records(connection: Connection, batch: int = BATCH) -> Iterator[dict[str, Any]]:
    """Every live record read on ``connection``: ``{"resource", "id", "record"}``, by kind
    (missions, sources, people, events) and id; ``record`` is the stored JSON of its latest
    revision (an ``orjson.Fragment``) or, for a record without one, its schema's dump."""
    with Session(bind=connection) as session:
        for _, model, schema in KINDS:
            resource = MODELS[model]
            rows = connection.execute(stored(model), execution_options={"yield_per": batch})
            for part in rows.partitions():
                dumped = _dumped(session, model, schema,
                                 [ident for ident, text in part if text is None])
                for ident, text in part:
                    yield {"resource": resource, "id": ident,
                           "record": dumped[ident] if text is None else orjson.Fragment(text)}
                session.expunge_all()


def seq_of(connection: Connection) -> int:
    """The last ``seq`` the read on ``connection`` sees (read it first)."""
    return data_version(connection)
