"""A record as a seed file holds it: the fields a curator writes, in schema order."""

from __future__ import annotations

import functools
from typing import Any

from marshmallow import Schema, fields

# Fields derived on load from others: seed files leave them out.
DERIVED = ("start.precision", "end.precision", "stated_date.precision",
           "written_date.precision")


def _dump_only(schema: Schema, prefix: str = "") -> list[str]:
    paths = []
    for name, field in schema.fields.items():
        inner = field.inner if isinstance(field, fields.List) else field
        if field.dump_only:
            paths.append(prefix + name)
        elif isinstance(inner, fields.Nested):
            paths += _dump_only(inner.schema, f"{prefix}{name}.")
    return paths


@functools.cache
def seed_schema(schema_cls: type[Schema]) -> Schema:
    """``schema_cls`` limited to the fields a seed file holds."""
    excluded = [path for path in DERIVED if path.split(".")[0] in schema_cls._declared_fields]
    return schema_cls(exclude=[*_dump_only(schema_cls()), *excluded])


def seed_form(schema_cls: type[Schema], obj: Any) -> dict[str, Any]:
    """``obj`` as its seed-file record: loading it with ``schema_cls`` gives it back."""
    return seed_schema(schema_cls).dump(obj)
