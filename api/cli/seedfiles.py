"""The seed files: which ones, in what order, read strictly and validated.

``read_seeds`` parses every file of a seed folder with the API's own schemas (a YAML key
given twice is an error) and checks that what a record refers to exists; a problem is a
``SeedError`` naming the file, the record and the field. Nothing here writes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import click
import yaml
from marshmallow import ValidationError
from sqlalchemy import select

from api.domain.store import KINDS, event_references
from api.extensions import db
from api.models import Event, Mission
from schemas import flatten_errors


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
        row = db.session.execute(select(Event.mission_id, Event.deleted_at).where(
            Event.id == ident).execution_options(include_deleted=True)).first()
        owner = (None if row and row.deleted_at else  # a curator deleted it: it stays so
                 seeded.get(ident) or (row.mission_id if row else None))
        if owner != mission:
            why = f"event '{ident}' is in mission '{owner}'" if owner else f"no event '{ident}'"
            raise SeedError(record.path, record.label, "key_event",
                            f"{why}: a key event must be an event of mission '{mission}'")
