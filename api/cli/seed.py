"""Loading the curated dataset from ``seeds/``: validated first, written all or nothing.

Seeding never loses a curator's work: it creates what is missing and reports every field
where a file and the database disagree; only ``--overwrite`` replaces the database's
values, and their old versions stay in the history."""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

import click
import yaml
from flask import current_app
from flask_migrate import upgrade
from marshmallow import Schema, ValidationError
from sqlalchemy import or_, select

from api.config import PROJECT_DIR
from api.domain import derivations, history, quotes
from api.domain.store import apply, event_references, own_dates, reference_date, touch
from api.extensions import db
from api.models import Citation, Event, Mission, Person, Source
from schemas import EventSchema, MissionSchema, PersonSchema, SourceSchema, flatten_errors
from schemas.seedform import seed_form

# Seed files in load order: what a record refers to is loaded before it.
KINDS: tuple[tuple[str, type[db.Model], type[Schema]], ...] = (
    ("missions.yaml", Mission, MissionSchema),
    ("sources.yaml", Source, SourceSchema),
    ("people.yaml", Person, PersonSchema),
    ("events.yaml", Event, EventSchema),
)
DEFAULT_DIR = os.path.join(PROJECT_DIR, "seeds")


class SeedError(click.ClickException):
    """An invalid seed file: names the file, the record and the field (or the line)."""

    def __init__(self, path: str, record: str, field: str, message: str) -> None:
        super().__init__(f"{path}: record {record}: field '{field}': {message}")


class DuplicateKeyError(yaml.MarkedYAMLError):
    """A mapping that names a key twice: YAML would silently keep the last value."""

    def __init__(self, key: Any, first: yaml.Mark, again: yaml.Mark) -> None:
        super().__init__(problem=f"duplicate key '{key}' (first at line {first.line + 1})",
                         problem_mark=again)
        self.key, self.line, self.first_line = key, again.line + 1, first.line + 1


class SeedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, except that a key given twice in a mapping is an error."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Mark] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.setdefault(key, key_node.start_mark)
            except TypeError:  # an unhashable key: the base class reports it
                break
            if first is not key_node.start_mark:
                raise DuplicateKeyError(key, first, key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: str) -> Any:
    """A seed file's content; a duplicate key fails as ``path:LINE: duplicate key ...``."""
    try:
        with open(path, encoding="utf-8") as handle:
            return yaml.load(handle, Loader=SeedLoader)  # a SafeLoader
    except DuplicateKeyError as err:
        raise click.ClickException(f"{path}:{err.line}: duplicate key '{err.key}' (also at "
                                   f"line {err.first_line}): remove one of them") from err
    except (OSError, yaml.YAMLError) as err:
        raise SeedError(path, "-", "-", f"cannot read: {err}") from err


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
        raw_records = read_yaml(path) or []
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
    _check_key_events(records)


def _check_key_events(records: list[Record]) -> None:
    """A mission's key event is a live event of that mission (as the files have it, else as
    the database does)."""
    seeded = {r.data["id"]: r.data["mission_id"] for r in records if r.model is Event}
    for record in (r for r in records if r.model is Mission and r.data.get("key_event")):
        ident, mission = record.data["key_event"], record.data["id"]
        owner = None if _deleted(ident) else seeded.get(ident) or db.session.scalar(
            select(Event.mission_id).where(Event.id == ident))
        if owner != mission:
            why = f"event '{ident}' is in mission '{owner}'" if owner else f"no event '{ident}'"
            raise SeedError(record.path, record.label, "key_event",
                            f"{why}: a key event must be an event of mission '{mission}'")


@dataclass
class Difference:
    """A field where the database and a seed file disagree."""

    file: str
    record: str
    field: str
    in_file: Any
    in_database: Any

    def __str__(self) -> str:
        return (f"  {self.file} '{self.record}' {self.field}: file {_show(self.in_file)} "
                f"| database {_show(self.in_database)}")


def _show(value: Any, limit: int = 300) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[:limit] + "..."


@dataclass
class Report:
    """Per seed file, how many records were created, updated (``--overwrite``), unchanged,
    kept because the database differs, or left deleted; and every field that differs."""

    counts: dict[str, Counter[str]] = dataclass_field(
        default_factory=lambda: {name: Counter() for name, _, _ in KINDS})
    differences: list[Difference] = dataclass_field(default_factory=list)

    def __getitem__(self, name: str) -> Counter[str]:
        return self.counts[name]


def differences(schema: type[Schema], obj: Any, data: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """``(field, file value, database value)`` for each field of ``obj`` that ``data``
    (a loaded seed record) would change, both in their seed-file form."""
    in_file, in_db = seed_form(schema, data), seed_form(schema, obj)
    return [(key, value, in_db.get(key)) for key, value in in_file.items()
            if in_db.get(key) != value]


def _reconcile(record: Record, schema: type[Schema], report: Report, overwrite: bool) -> str:
    """Create, keep or (``overwrite``) update one record; returns what was done."""
    obj = db.session.get(record.model, record.data["id"])
    tracked = record.model in history.TRACKED
    if obj is None:
        obj = record.model(id=record.data["id"])
        db.session.add(obj)
        apply(obj, record.data)
        if tracked:
            history.record_other(obj, "seed", "create")
        return "created"
    found = differences(schema, obj, record.data)
    if not found:
        return "unchanged"
    report.differences += [Difference(os.path.basename(record.path), obj.id, *d)
                           for d in found]
    if not overwrite:
        return "kept"  # a curator's edit, or a file not yet updated: the report asks
    if tracked:
        history.baseline(obj)  # the database's version stays in the history
    apply(obj, record.data)
    if tracked:
        history.record_other(obj, "seed")
    return "updated"


def load_seeds(directory: str, sources_dir: str | None = None,
               overwrite: bool = False) -> Report:
    """Bring the database in line with the seed files in one transaction.

    Records missing from the database are created. A record that exists and differs is
    kept as the database has it (a curator may have edited it through the API) and each
    differing field is reported, unless ``overwrite``: then the file wins and the old
    values stay in the record's history. Events a curator deleted stay deleted (their ids
    are never reused). With ``sources_dir``, each source's article text is loaded from its
    ``file`` there (replacing a stored one only with ``overwrite``). Every quote whose
    source has a text must occur in it, and every date must follow from its basis; each event
    that changed gets a revision by "seed".
    """
    report = Report()
    try:
        records = read_seeds(directory)
        schemas = {model: schema for _, model, schema in KINDS}
        written: list[str] = []  # the events this seed writes: only they get a revision
        for record in records:
            if record.model is Event and _deleted(record.data["id"]):
                report["events.yaml"]["deleted"] += 1  # a curator deleted it: it stays so
                continue
            done = _reconcile(record, schemas[record.model], report, overwrite)
            report[os.path.basename(record.path)][done] += 1
            if record.model is Event and done in ("created", "updated"):
                written.append(record.data["id"])
        if sources_dir:
            texts, differ = quotes.load_texts(sources_dir, overwrite)
            report["sources.yaml"]["texts"] = texts
            report.differences += [Difference("sources.yaml", ident, "text", *sizes)
                                   for ident, sizes in differ.items()]
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
        _check_own_quotes_and_dates(records)
        if history.record_all("seed", written) or any(
            counts["created"] or counts["updated"] or counts["texts"]
            for counts in report.counts.values()
        ):
            touch()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return report


def _check_own_quotes_and_dates(records: list[Record]) -> None:
    """Each source's own quotes occur in its text, each event's basis and claim quotes lie
    in its citations, and every date follows from its basis."""
    for record in records:
        if record.model not in (Event, Source):
            continue
        obj = db.session.get(record.model, record.data["id"])
        if obj is None:  # a deleted event
            continue
        if record.model is Source:
            for field, quote in quotes.missing_own_quotes(obj):
                raise SeedError(record.path, record.label, field,
                                f"not found in the source's text: {quote!r}")
        else:
            for field, why in quotes.unsupported_refs(obj).items():
                raise SeedError(record.path, record.label, field, why)
        for field, why in derivations.problems(own_dates(obj), reference_date):
            raise SeedError(record.path, record.label, field, why)


def _deleted(event_id: str) -> bool:
    stmt = select(Event.id).where(Event.id == event_id, Event.deleted_at.is_not(None))
    return db.session.scalar(stmt.execution_options(include_deleted=True)) is not None


@click.command("seed")
@click.option("--dir", "directory", default=None, type=click.Path(file_okay=False),
              help="Folder of seed files (default: the project's seeds/).")
@click.option("--articles", "--sources", "sources_dir", default=None,
              type=click.Path(exists=True, file_okay=False),
              help="Folder of the sources' article texts (file names as in sources.yaml); "
                   "default: ARTICLES_DIR (../shared/seeds beside the project) when present.")
@click.option("--overwrite", is_flag=True,
              help="Where a record differs, replace the database's version with the file's "
                   "(the old one stays in the history). Without it, only what is missing is "
                   "created.")
def seed_command(directory: str | None, sources_dir: str | None, overwrite: bool) -> None:
    """Create or migrate the schema, then create what the seed files hold and the database
    lacks; report every field where they disagree (see docs/curation.md)."""
    upgrade(directory=current_app.extensions["migrate"].directory)
    default = current_app.config.get("ARTICLES_DIR")
    if sources_dir is None and default and os.path.isdir(default):
        sources_dir = default
    report = load_seeds(directory or current_app.config.get("SEEDS_DIR") or DEFAULT_DIR,
                        sources_dir, overwrite)
    for name, counts in report.counts.items():
        deleted = f", {counts['deleted']} deleted through the API" if counts["deleted"] else ""
        kept = f", {counts['kept']} differ (database kept)" if counts["kept"] else ""
        click.echo(f"{name}: {counts['created']} created, {counts['updated']} updated, "
                   f"{counts['unchanged']} unchanged{kept}{deleted}")
    if sources_dir:
        click.echo(f"source texts from {sources_dir}: "
                   f"{report['sources.yaml']['texts']} loaded or changed")
    else:
        click.echo(f"source texts: none loaded (no folder {default or 'given'}); quotes "
                   "stay unverified until you seed with --articles DIR")
    if report.differences:
        verb = "overwritten with the file's" if overwrite else "kept (--overwrite to replace)"
        click.echo(f"{len(report.differences)} field(s) differ between the files and the "
                   f"database; the database's values were {verb}:")
        for difference in report.differences:
            click.echo(str(difference))
