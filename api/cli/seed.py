"""Loading the curated dataset from ``seeds/``: validated first, written all or nothing.

Seeding never loses a curator's work: it creates what is missing and reports every field
where a file and the database disagree; only ``--overwrite`` replaces the database's
values, and their old versions stay in the history. Reading and validating the files is
api/cli/seedfiles.py."""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

import click
from flask import current_app
from flask_migrate import upgrade
from marshmallow import Schema
from sqlalchemy import or_, select

from api.cli.seedfiles import KINDS, Record, SeedError, read_seeds
from api.config import PROJECT_DIR
from api.domain import derivations, history, quotes
from api.domain.store import apply, own_dates, reference_date
from api.extensions import db
from api.models import Citation, Event, Source
from schemas.seedform import seed_form

DEFAULT_DIR = os.path.join(PROJECT_DIR, "seeds")


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
        history.record_all("seed", written)
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
