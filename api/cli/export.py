"""Writing the database back as seed files: ``flask --app api export DIR``.

The files hold only what a curator writes (no derived or dump-only fields), in the
schemas' field order and one canonical YAML style, so ``seed`` then ``export``
reproduces ``seeds/`` byte for byte and API edits can be reviewed as a diff.
"""

from __future__ import annotations

import os
import textwrap
from typing import Any

import click
import yaml
from sqlalchemy import select

from api.cli.seedfiles import KINDS
from api.extensions import db
from api.models import Event
from api.queries import SORT_KEYS, WITH_DETAILS
from schemas.seedform import seed_form

# Verbatim quotes and dates are double-quoted on one line (easy to grep and compare);
# summaries and notes are folded (">-") into lines filled up to WIDTH characters.
QUOTED = ("quote", "date")
FOLDED = ("summary", "note")
WIDTH = 97


class Quoted(str):
    pass


class Folded(str):
    pass


def _styled(value: Any, key: str = "") -> Any:
    """``value`` with each string marked with its YAML style."""
    if isinstance(value, dict):
        return {k: _styled(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_styled(item, key) for item in value]
    if isinstance(value, str) and key in QUOTED:
        return Quoted(value)
    if isinstance(value, str) and key in FOLDED:
        return Folded(value)
    return value


class SeedDumper(yaml.SafeDumper):
    """The seed files' style: indented lists, lists of words inline, long text folded."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)

    def write_double_quoted(self, text: str, split: bool = True) -> None:
        super().write_double_quoted(text, split=False)

    def write_folded(self, text: str) -> None:
        """Fill each line with as many words as fit (PyYAML breaks only past the width)."""
        lines = textwrap.wrap(text, self.best_width - self.indent, break_long_words=False,
                              break_on_hyphens=False)
        if " ".join(lines) != text:  # line breaks or runs of spaces: PyYAML's way keeps them
            super().write_folded(text)
            return
        self.write_indicator(">" + self.determine_block_hints(text), True)
        self.write_line_break()
        for line in lines:
            self.write_indent()
            self.stream.write(line)
            self.column += len(line)
        self.write_line_break()


def _list(dumper: SeedDumper, value: list[Any]) -> yaml.SequenceNode:
    inline = all(isinstance(item, str) for item in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=inline)


SeedDumper.add_representer(list, _list)
SeedDumper.add_representer(
    Quoted, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", str(v), style='"'))
SeedDumper.add_representer(
    Folded, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", str(v), style=">"))


def to_yaml(records: list[dict[str, Any]]) -> str:
    """Records as a seed file, in the one canonical style."""
    return yaml.dump(_styled(records), Dumper=SeedDumper, sort_keys=False, allow_unicode=True,
                     width=WIDTH, default_flow_style=False)


def export_seeds(directory: str) -> dict[str, int]:
    """Write every seed file into ``directory``; returns the records written per file."""
    os.makedirs(directory, exist_ok=True)
    counts = {}
    for filename, model, schema_cls in KINDS:
        stmt = select(model)
        if model is Event:
            stmt = stmt.options(*WITH_DETAILS).order_by(*SORT_KEYS)
        else:
            stmt = stmt.order_by(model.id)
        records = [seed_form(schema_cls, obj) for obj in db.session.scalars(stmt)]
        with open(os.path.join(directory, filename), "w", encoding="utf-8") as handle:
            handle.write(to_yaml(records))
        counts[filename] = len(records)
    return counts


@click.command("export")
@click.argument("directory", type=click.Path(file_okay=False))
def export_command(directory: str) -> None:
    """Write the database as seed files into DIRECTORY (deleted events are left out)."""
    for filename, count in export_seeds(directory).items():
        click.echo(f"{filename}: {count} records")
