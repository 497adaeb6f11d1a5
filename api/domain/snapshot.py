"""The whole dataset at one point of the change log, record by record, in bounded memory.

A snapshot reads every live mission, source, person and event (citations, people and
claims inside their event) in their seed-file form, the form each revision keeps, inside
one read transaction (REPEATABLE READ on PostgreSQL; on SQLite, whose write-ahead log
gives a reader one state too), so writes committed meanwhile are not seen and go on
unhindered. It is stamped with the
last ``seq`` of the change log it reads first, so the snapshot and
``/v1/changes?after=seq`` together give the live state exactly.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session, selectinload

from api.domain.changelog import MODELS, data_version
from api.domain.store import KINDS
from api.extensions import db
from api.models import Event
from schemas.seedform import seed_form

BATCH = 500  # records read (and held) at a time
DETAILS = (selectinload(Event.citations), selectinload(Event.people),
           selectinload(Event.claims))


def open_read() -> Connection:
    """A connection holding one consistent read of the database until it is closed."""
    connection = db.engine.connect()
    if connection.dialect.name == "postgresql":
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        connection.exec_driver_sql("SET TRANSACTION READ ONLY")
    else:
        connection.exec_driver_sql("BEGIN")  # the driver begins none for a SELECT
    return connection


def records(connection: Connection, batch: int = BATCH) -> Iterator[dict[str, Any]]:
    """Every live record read on ``connection``: ``{"resource", "id", "record"}``, by kind
    (missions, sources, people, events) and id."""
    with Session(bind=connection) as session:
        for _, model, schema in KINDS:
            last = None
            while True:
                stmt = select(model).order_by(model.id).limit(batch)
                if model is Event:
                    stmt = stmt.options(*DETAILS)
                if last is not None:
                    stmt = stmt.where(model.id > last)
                rows = session.scalars(stmt).all()
                for obj in rows:
                    yield {"resource": MODELS[model], "id": obj.id,
                           "record": seed_form(schema, obj)}
                if len(rows) < batch:
                    break
                last = rows[-1].id
                session.expunge_all()


def seq_of(connection: Connection) -> int:
    """The last ``seq`` the read on ``connection`` sees (read it first)."""
    return data_version(connection)
