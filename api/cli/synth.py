"""Synthetic data at scale: ``flask --app api synth --events N [--missions M]``.

Generates missions, sources, people and events (1-3 citations and 0-2 people each,
mixed date precisions, statuses and types) and loads them with bulk Core inserts:
``executemany`` in large batches without fsync on SQLite, ``COPY`` on
PostgreSQL. Synthetic rows have ids starting with ``synth-`` and replace the previous
synthetic rows (and their history); the curated data is left alone. The load is one
transaction and appends to the change log (a delete of each old synthetic mission, source,
person and event, a create of each new one; their citations travel inside their events),
and each new event, source and person gets its first revision (its seed-file form, dumped
by its schema, as any write keeps it), so running apps and followers see it like any other
write.

At a million events some of its statements run longer than a request may
(``DB_STATEMENT_TIMEOUT``): raise that for the load, as bench/harness.py does.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy import Connection, delete, func, insert, literal, null, select

from api.cli.synthrows import (
    FIRST,
    LAST,
    PREFIX,
    ROLES,
    event_rows,
    event_state,
    json_text,
    sentence,
    stated,
)
from api.domain import changelog, history
from api.extensions import db
from api.models import (
    Change,
    Citation,
    Event,
    EventPerson,
    Mission,
    Person,
    RecordRevision,
    Revision,
    Source,
    utcnow,
)
from schemas.seedform import seed_form

BATCH = 20_000
COLUMNS = {
    Event: ("id", "mission_id", "type", "status", "title", "summary", "start", "end",
            "earliest", "latest", "location", "tags", "note", "search_text", "version",
            "changed_at"),
    Citation: ("event_id", "source_id", "position", "quote", "supports"),
    EventPerson: ("event_id", "position", "person_id", "role"),
    Mission: ("id", "name", "summary"),
    Source: ("id", "file", "title", "publisher", "author", "stated_date", "language", "url",
             "note"),
    Person: ("id", "name", "aliases", "roles"),
    Revision: ("event_id", "number", "at", "who", "action", "changed", "snapshot"),
    RecordRevision: ("kind", "record_id", "number", "at", "who", "action", "changed",
                     "snapshot"),
}
WHO = "synth"  # the author of the synthetic records' revisions


def _first_revision(state: dict[str, Any], at: Any) -> tuple[Any, ...]:
    """A record's first revision holding ``state``: number, at, who, action, changed and
    snapshot, as ``history`` keeps a created record."""
    return 1, at, WHO, "create", json_text(list(state)), json_text(state)


def _record_revisions(conn: Connection, at: Any) -> None:
    """The first revision of each synthetic source and person, as any write keeps it."""
    for model, (kind, schema) in history.TRACKED.items():
        records = db.session.scalars(select(model).where(model.id.startswith(PREFIX)))
        _write(conn, RecordRevision, [(kind, obj.id, *_first_revision(seed_form(schema, obj), at))
                                      for obj in records])


def _write(conn: Connection, model: type[db.Model], rows: Sequence[tuple[Any, ...]]) -> None:
    """Bulk insert: COPY on PostgreSQL, one executemany elsewhere."""
    table, columns = model.__tablename__, COLUMNS[model]
    quoted = ", ".join(f'"{c}"' for c in columns)
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in columns)
    conn.exec_driver_sql(f"INSERT INTO {table} ({quoted}) VALUES ({marks})", list(rows))


LOGGED = ((Mission, "mission"), (Source, "source"), (Person, "person"), (Event, "event"))


def _log(conn: Connection, action: str, at: Any) -> int:
    """Append an entry of ``action`` for every synthetic record (``LOGGED``) after the last
    one (the log's lock is held: ``changelog.reserve``); returns the next free number."""
    for model, resource in LOGGED:
        first = (conn.scalar(select(func.max(Change.seq))) or 0) + 1
        mission = (model.id if model is Mission else model.mission_id if model is Event
                   else null())
        # A created event, source or person links to its first revision (load_synthetic).
        revision = literal(1) if action == "create" and model is not Mission else null()
        rows = select(first - 1 + func.row_number().over(order_by=model.id), literal(at),
                      literal(action), literal(resource), model.id, mission, revision
                      ).where(model.id.startswith(PREFIX))
        conn.execute(insert(Change).from_select(
            ["seq", "at", "action", "resource", "record_id", "mission_id", "revision"], rows))
    return (conn.scalar(select(func.max(Change.seq))) or 0) + 1


def _clear(conn: Connection) -> None:
    synthetic = select(Event.id).where(Event.id.startswith(PREFIX))
    for model in (Citation, EventPerson, Revision):
        conn.execute(delete(model).where(model.event_id.in_(synthetic)))
    conn.execute(delete(RecordRevision).where(RecordRevision.record_id.startswith(PREFIX)))
    for model in (Event, Mission, Source, Person):
        conn.execute(delete(model).where(model.id.startswith(PREFIX)))


def load_synthetic(events: int, missions: int, seed: int = 1) -> dict[str, int]:
    """Replace the synthetic rows by ``events`` new events in ``missions`` missions."""
    rnd = random.Random(seed)
    sources, people = max(10, min(2000, events // 500)), max(10, min(5000, events // 200))
    conn = db.session.connection()
    if conn.dialect.name == "sqlite":  # this connection only: no fsync
        conn.exec_driver_sql("PRAGMA synchronous=OFF")
        conn.exec_driver_sql("PRAGMA cache_size=-2000000")
    counts = {"missions": missions, "sources": sources, "people": people, "events": events,
              "citations": 0, "event_people": 0}
    try:
        now = utcnow()  # their change time, for `sort=changed` and `changed_since`
        changelog.reserve(conn)
        first = _log(conn, "delete", now)
        # The new rows' version: the last entry's number (no representation has it yet).
        version = first + missions + sources + people + events - 1
        _clear(conn)
        _write(conn, Mission, [(f"{PREFIX}{m:04d}", f"Synthetic mission {m}",
                                sentence(rnd, 10, 20) + ".") for m in range(missions)])
        source_rows = [
            (f"{PREFIX}{s:04d}", f"synthetic/{s:04d}.txt", sentence(rnd, 3, 7),
             rnd.choice(("TASS", "Reuters", "Euronews", "Interfax")), None,
             json_text(stated(rnd)), rnd.choice(("en", "ru")),
             f"https://example.org/articles/{s}", None)
            for s in range(sources)]
        _write(conn, Source, source_rows)
        people_rows = [(f"{PREFIX}{p:04d}", f"{rnd.choice(FIRST)} {rnd.choice(LAST)}", "[]",
                        json_text([rnd.choice(ROLES)])) for p in range(people)]
        _write(conn, Person, people_rows)
        _record_revisions(conn, now)
        rows = event_rows(rnd, events, missions, [row[2] for row in source_rows],
                       [row[1] for row in people_rows])
        # Secondary indexes are cheaper built once, sorted, than grown row by row.
        indexes = [index for model in (Event, Citation, EventPerson, Revision)
                   for index in model.__table__.indexes]
        for index in indexes:
            index.drop(conn)
        while batch := [row for _, row in zip(range(BATCH), rows, strict=False)]:
            _write(conn, Event, [(*event, version, now) for event, _, _ in batch])
            citations = [c for _, cs, _ in batch for c in cs]
            persons = [p for _, _, ps in batch for p in ps]
            _write(conn, Citation, citations)
            _write(conn, EventPerson, persons)
            _write(conn, Revision, [(event[0], *_first_revision(event_state(event, cs, ps), now))
                                    for event, cs, ps in batch])
            counts["citations"] += len(citations)
            counts["event_people"] += len(persons)
        for index in indexes:
            index.create(conn)
        _log(conn, "create", now)
        # Fresh statistics for the planner (without them SQLite reads a page through the
        # deleted_at index and sorts the whole table).
        conn.exec_driver_sql("ANALYZE events, citations, event_people, event_revisions"
                             if conn.dialect.name == "postgresql" else "ANALYZE")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return counts


@click.command("synth")
@with_appcontext
@click.option("--events", type=click.IntRange(1), required=True, help="Events to generate.")
@click.option("--missions", type=click.IntRange(1), default=None,
              help="Missions to spread them over (default: one per 10,000 events).")
@click.option("--seed", type=int, default=1, help="Random seed: the same seed, the same data.")
def synth_command(events: int, missions: int | None, seed: int) -> None:
    """Create or migrate the schema, then replace the synthetic data with N new events."""
    upgrade(directory=current_app.extensions["migrate"].directory)
    started = time.perf_counter()
    counts = load_synthetic(events, missions or max(1, events // 10_000), seed)
    took = time.perf_counter() - started
    click.echo(", ".join(f"{n} {name}" for name, n in counts.items()) + f" loaded in {took:.1f} s")
