"""Loading the curated dataset from ``seeds/``: validated first, written all or nothing."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from typing import Any

import click
import yaml
from flask import current_app
from flask_migrate import upgrade
from marshmallow import Schema, ValidationError
from sqlalchemy import or_, select

from api.config import PROJECT_DIR
from api.domain import history, quotes
from api.domain.store import event_references, touch, upsert
from api.extensions import db
from api.models import Citation, Event, Mission, Person, Source
from schemas import EventSchema, MissionSchema, PersonSchema, SourceSchema, flatten_errors

# Seed files in load order: what a record refers to is loaded before it.
KINDS: tuple[tuple[str, type[db.Model], type[Schema]], ...] = (
    ("missions.yaml", Mission, MissionSchema),
    ("sources.yaml", Source, SourceSchema),
    ("people.yaml", Person, PersonSchema),
    ("events.yaml", Event, EventSchema),
)
DEFAULT_DIR = os.path.join(PROJECT_DIR, "seeds")


class SeedError(click.ClickException):
    """An invalid seed file: names the file, the record and the field."""

    def __init__(self, path: str, record: str, field: str, message: str) -> None:
        super().__init__(f"{path}: record {record}: field '{field}': {message}")


@dataclass
class Record:
    path: str
    label: str  # how to name the record in an error: its id and position
    model: type[db.Model]
    data: dict[str, Any]


def _label(raw: Any, index: int) -> str:
    ident = raw.get("id") if isinstance(raw, dict) else None
    return f"'{ident}' (#{index + 1})" if ident else f"#{index + 1}"


def read_seeds(directory: str) -> list[Record]:
    """Parse and validate every seed file; raise ``SeedError`` at the first problem."""
    records: list[Record] = []
    known: dict[type[db.Model], set[str]] = {}
    for filename, model, schema in KINDS:
        path = os.path.join(directory, filename)
        try:
            with open(path, encoding="utf-8") as handle:
                raw_records = yaml.safe_load(handle) or []
        except (OSError, yaml.YAMLError) as err:
            raise SeedError(path, "-", "-", f"cannot read: {err}") from err
        if not isinstance(raw_records, list):
            raise SeedError(path, "-", "-", "the file must hold a list of records")
        ids = known.setdefault(model, set())
        for index, raw in enumerate(raw_records):
            label = _label(raw, index)
            try:
                data = schema().load(raw)
            except ValidationError as err:
                field, message = flatten_errors(err.messages)[0]
                raise SeedError(path, label, field, message) from err
            if data["id"] in ids:
                raise SeedError(path, label, "id", "duplicate id")
            ids.add(data["id"])
            records.append(Record(path, label, model, data))
    _check_references(records, known)
    return records


def _check_references(records: list[Record], known: dict[type[db.Model], set[str]]) -> None:
    def exists(model: type[db.Model], ident: str) -> bool:
        return ident in known[model] or db.session.get(model, ident) is not None

    for record in (r for r in records if r.model is Event):
        for field, model, ident in event_references(record.data):
            if not exists(model, ident):
                raise SeedError(record.path, record.label, field, f"unknown id '{ident}'")


def load_seeds(directory: str, sources_dir: str | None = None) -> dict[str, Counter[str]]:
    """Bring the database in line with the seed files in one transaction.

    Events a curator deleted stay deleted (their ids are never reused). With
    ``sources_dir``, also load each source's article text from its ``file`` there.
    Every quote whose source has a text must occur in it; each event that changed gets a
    revision by "seed". Returns, per file, how many records were created, updated and
    unchanged.
    """
    report: dict[str, Counter[str]] = {name: Counter() for name, _, _ in KINDS}
    try:
        records = read_seeds(directory)
        for record in records:
            if record.model is Event and _deleted(record.data["id"]):
                report["events.yaml"]["deleted"] += 1  # a curator deleted it: it stays so
                continue
            report[os.path.basename(record.path)][upsert(record.model, record.data)] += 1
        if sources_dir:
            report["sources.yaml"]["texts"] = quotes.load_texts(sources_dir)
        db.session.flush()
        # Only what the seed files hold is checked and recorded: the cost of a seed does not
        # grow with the rest of the database.
        events = [r.data["id"] for r in records if r.model is Event]
        sources = [r.data["id"] for r in records if r.model is Source]
        seeded = select(Citation).where(
            or_(Citation.event_id.in_(events), Citation.source_id.in_(sources))
        )
        for citation in quotes.unverifiable(db.session.scalars(seeded)):
            raise SeedError(os.path.join(directory, "events.yaml"), f"'{citation.event_id}'",
                            f"citations.{citation.position}.quote",
                            f"not found in the text of source '{citation.source_id}'")
        if history.record_all("seed", events) or any(
            counts["created"] or counts["updated"] or counts["texts"] for counts in report.values()
        ):
            touch()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return report


def _deleted(event_id: str) -> bool:
    stmt = select(Event.id).where(Event.id == event_id, Event.deleted_at.is_not(None))
    return db.session.scalar(stmt.execution_options(include_deleted=True)) is not None


@click.command("seed")
@click.option("--dir", "directory", default=None, type=click.Path(file_okay=False),
              help="Folder of seed files (default: the project's seeds/).")
@click.option("--sources", "sources_dir", default=None, type=click.Path(file_okay=False),
              help="Folder of the sources' article texts (file names as in sources.yaml).")
def seed_command(directory: str | None, sources_dir: str | None) -> None:
    """Create or migrate the schema, then load the seed files idempotently."""
    upgrade(directory=current_app.extensions["migrate"].directory)
    report = load_seeds(directory or current_app.config.get("SEEDS_DIR") or DEFAULT_DIR,
                        sources_dir)
    for name, counts in report.items():
        deleted = f", {counts['deleted']} deleted through the API" if counts["deleted"] else ""
        click.echo(f"{name}: {counts['created']} created, {counts['updated']} updated, "
                   f"{counts['unchanged']} unchanged{deleted}")
    if sources_dir:
        click.echo(f"source texts: {report['sources.yaml']['texts']} loaded or changed")
