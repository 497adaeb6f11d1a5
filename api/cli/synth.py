"""Synthetic data at scale: ``flask --app api synth --events N [--missions M]``.

Generates missions, sources, people and events (1-3 citations and 0-2 people each,
mixed date precisions, statuses and types) and loads them with bulk Core inserts:
``executemany`` in large batches without fsync on SQLite, ``COPY`` on
PostgreSQL. Synthetic rows have ids starting with ``synth-`` and replace the previous
synthetic rows; the curated data is left alone. The load is one transaction and appends
to the change log (a delete of each old synthetic mission, source, person and event, a
create of each new one; their citations travel inside their events), so running apps and
followers see it like any other write.
"""

from __future__ import annotations

import itertools
import json
import random
import time
from collections.abc import Iterator, Sequence
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy import Connection, delete, func, insert, literal, null, select

from api.domain import changelog
from api.domain.searchtext import document
from api.extensions import db
from api.models import Change, Citation, Event, EventPerson, Mission, Person, Source, utcnow
from schemas import dates
from schemas.event import CITABLE_FIELDS, EVENT_TYPES

PREFIX = "synth-"
BATCH = 20_000
STATUSES = ("occurred",) * 6 + ("planned", "speculative", "cancelled")
WORDS = (
    "orbit", "launch", "capsule", "station", "crew", "camera", "film", "director", "actress",
    "cosmonaut", "rocket", "module", "docking", "hatch", "spacewalk", "landing", "steppe",
    "parachute", "training", "centrifuge", "studio", "scene", "rehearsal", "lighting", "lens",
    "footage", "editor", "premiere", "festival", "contract", "agency", "commander", "engineer",
    "surgeon", "medical", "emergency", "heart", "zero", "gravity", "weightless", "window",
    "earth", "moon", "mars", "satellite", "telescope", "antenna", "signal", "radio", "mission",
    "control", "schedule", "delay", "weather", "fuel", "booster", "stage", "fairing", "payload",
    "cargo", "supply", "experiment", "laboratory", "interview", "press", "statement",
    "agreement", "budget", "sponsor", "channel", "broadcast", "audience", "record", "history",
    "first", "symbolic", "rivalry", "competition", "cooperation", "partner", "flight", "return",
    "recovery", "helicopter", "team", "doctor", "nurse", "makeup", "costume", "script",
    "screenplay", "storyboard", "sound", "music", "score", "trailer", "poster", "release",
    "cinema", "theatre", "review", "critic"
)
# Word frequencies follow Zipf's law, as in real text: a few common words, many rare ones.
CUM_WEIGHTS = list(itertools.accumulate(1 / rank for rank in range(1, len(WORDS) + 1)))
FIRST = (
    "Anna", "Boris", "Daria", "Elena", "Fyodor", "Galina", "Igor", "Katya", "Lev", "Maria",
    "Nikolai", "Olga", "Pavel", "Roman", "Sofia", "Timur", "Vera", "Yulia", "Zoya", "Alexei"
)
LAST = (
    "Ivanova", "Petrov", "Sidorova", "Volkov", "Kuznetsova", "Popov", "Sokolova", "Lebedev",
    "Kozlova", "Novikov", "Morozova", "Orlov", "Pavlova", "Semenov", "Egorova", "Vinogradov",
    "Belova", "Tarasov", "Fedorova", "Zaitsev"
)
PLACES = (None, None, "Baikonur", "Star City", "ISS", "Moscow", "Kazakh steppe", "Houston")
ROLES = ("commander", "flight engineer", "director", "actress", "cameraman", "doctor")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _date(rnd: random.Random) -> dict[str, Any]:
    year = rnd.randint(1957, 2040)
    kind = rnd.random()
    if kind < 0.2:
        text = f"{year:04d}"
    elif kind < 0.45:
        text = f"{year:04d}-{rnd.randint(1, 12):02d}"
    else:
        text = f"{year:04d}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
    # Synthetic dates are plain stated dates: a hedged or derived date needs a basis (a
    # quote, a rule, a reference) that random text cannot honestly give. Two draws stay, so
    # the generated data is otherwise what it was.
    rnd.random(), rnd.random()
    return {"date": text, "precision": dates.precision(text),
            "approximate": False, "inferred": False}


def _stated(rnd: random.Random) -> dict[str, Any]:
    """A source's stated date: a day, as a byline gives it."""
    day = dates.earliest(_date(rnd)["date"]).isoformat()
    return {"date": day, "precision": "day", "approximate": False, "inferred": False}


def _sentence(rnd: random.Random, low: int, high: int) -> str:
    text = " ".join(rnd.choices(WORDS, cum_weights=CUM_WEIGHTS, k=rnd.randint(low, high)))
    return text[0].upper() + text[1:]


def _span(rnd: random.Random) -> tuple[str, str | None, str, str]:
    """A start and maybe an end date: their JSON, and the earliest and latest day."""
    start, end = _date(rnd), None
    if rnd.random() < 0.2:
        later = _date(rnd)
        if dates.earliest(later["date"]) >= dates.latest(start["date"]):
            end = later
    return (_json(start), _json(end) if end else None,
            dates.earliest(start["date"]).isoformat(),
            dates.latest((end or start)["date"]).isoformat())


POOL = 20_000  # distinct values drawn from, so that generating a row stays cheap


def _events(rnd: random.Random, count: int, missions: int, sources: list[str],
            people: list[str],
            ) -> Iterator[tuple[tuple[Any, ...], list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """Rows of (event, citations, people), in the column order of ``COLUMNS``.

    Values come from pools of pre-generated dates and phrases; a summary joins two
    phrases, so summaries are (almost) all distinct. ``sources`` and ``people`` are the
    titles and names of the synthetic sources and people, for the search text.
    """
    spans = [_span(rnd) for _ in range(POOL)]
    titles = [_sentence(rnd, 3, 8) for _ in range(POOL)]
    phrases = [_sentence(rnd, 6, 15) for _ in range(POOL)]
    notes = [None] * 9 * POOL + [_sentence(rnd, 5, 12) for _ in range(POOL)]
    tags = [_json(rnd.sample(WORDS, rnd.randint(1, 3))) for _ in range(POOL)]
    supports = [_json(rnd.sample(CITABLE_FIELDS, rnd.randint(1, 3))) for _ in range(POOL)]
    choice, random_, randrange = rnd.choice, rnd.random, rnd.randrange
    for n in range(count):
        event_id = f"{PREFIX}{n:07d}"
        summary = f"{choice(phrases)}, {choice(phrases).lower()}."
        citations = [
            (event_id, randrange(len(sources)), position,
             summary[: 40 + int(random_() * 80)], choice(supports))
            for position in range(1 + int(random_() * 3))
        ]
        crew = int(random_() * 2.5)
        persons = [(event_id, position, randrange(len(people)), choice(ROLES))
                   for position in range(crew)]
        if crew == 2 and persons[0][2] == persons[1][2]:
            persons.pop()
        mission, place, tag, note = n % missions, choice(PLACES), choice(tags), choice(notes)
        text = document({
            "note": note, "location": place, "tags": json.loads(tag),
            "people": [people[p[2]] for p in persons],
            "sources": list(dict.fromkeys(sources[c[1]] for c in citations)),
            "quotes": [c[3] for c in citations]})
        event = (
            event_id, f"{PREFIX}{mission:04d}", choice(EVENT_TYPES), choice(STATUSES),
            choice(titles), summary, *choice(spans), place, tag, note, text,
        )
        yield (event, [(e, f"{PREFIX}{s:04d}", *rest) for e, s, *rest in citations],
               [(e, pos, f"{PREFIX}{p:04d}", role) for e, pos, p, role in persons])


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
}


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
        rows = select(first - 1 + func.row_number().over(order_by=model.id), literal(at),
                      literal(action), literal(resource), model.id, mission
                      ).where(model.id.startswith(PREFIX))
        conn.execute(insert(Change).from_select(
            ["seq", "at", "action", "resource", "record_id", "mission_id"], rows))
    return (conn.scalar(select(func.max(Change.seq))) or 0) + 1


def _clear(conn: Connection) -> None:
    synthetic = select(Event.id).where(Event.id.startswith(PREFIX))
    conn.execute(delete(Citation).where(Citation.event_id.in_(synthetic)))
    conn.execute(delete(EventPerson).where(EventPerson.event_id.in_(synthetic)))
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
                                _sentence(rnd, 10, 20) + ".") for m in range(missions)])
        source_rows = [
            (f"{PREFIX}{s:04d}", f"synthetic/{s:04d}.txt", _sentence(rnd, 3, 7),
             rnd.choice(("TASS", "Reuters", "Euronews", "Interfax")), None,
             _json(_stated(rnd)), rnd.choice(("en", "ru")),
             f"https://example.org/articles/{s}", None)
            for s in range(sources)]
        _write(conn, Source, source_rows)
        people_rows = [(f"{PREFIX}{p:04d}", f"{rnd.choice(FIRST)} {rnd.choice(LAST)}", "[]",
                        _json([rnd.choice(ROLES)])) for p in range(people)]
        _write(conn, Person, people_rows)
        rows = _events(rnd, events, missions, [row[2] for row in source_rows],
                       [row[1] for row in people_rows])
        # Secondary indexes are cheaper built once, sorted, than grown row by row.
        indexes = [index for model in (Event, Citation, EventPerson)
                   for index in model.__table__.indexes]
        for index in indexes:
            index.drop(conn)
        while batch := [row for _, row in zip(range(BATCH), rows, strict=False)]:
            _write(conn, Event, [(*event, version, now) for event, _, _ in batch])
            citations = [c for _, cs, _ in batch for c in cs]
            persons = [p for _, _, ps in batch for p in ps]
            _write(conn, Citation, citations)
            _write(conn, EventPerson, persons)
            counts["citations"] += len(citations)
            counts["event_people"] += len(persons)
        for index in indexes:
            index.create(conn)
        _log(conn, "create", now)
        # Fresh statistics for the planner (without them SQLite reads a page through the
        # deleted_at index and sorts the whole table).
        conn.exec_driver_sql("ANALYZE events, citations, event_people"
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
