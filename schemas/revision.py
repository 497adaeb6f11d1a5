"""An event's revisions: who changed what, when."""

from __future__ import annotations

import datetime as dt
from typing import Any

from marshmallow import Schema, ValidationError, fields, pre_load

from schemas.common import PageQuerySchema, named_enum

ACTIONS = named_enum("RevisionAction", ("create", "update", "delete"))
MAX_TIMESTAMP = 64
NOTE_UTC = "UTC; a timestamp without an offset is read as UTC."


def _utc(value: object) -> str:
    return value.isoformat() + "Z"  # type: ignore[attr-defined]


class RevisionSchema(Schema):
    """One change to an event, with the event as it was after it."""

    number = fields.Integer(metadata={"description": "1 for the creation, then 2, 3, ..."})
    at = fields.Function(lambda r: _utc(r.at), metadata={"description": "When, in UTC."})
    who = fields.String(metadata={"description": "The curator's token name, or 'seed'."})
    action = fields.String(metadata={"enum": list(ACTIONS)})
    changed = fields.List(fields.String(), metadata={"description": "Fields that changed."})
    snapshot = fields.Dict(metadata={"description": "The event after the change, as in the "
                                     "seed files."})


class AsOfQuerySchema(Schema):
    as_of = fields.AwareDateTime(
        default_timezone=dt.UTC,
        metadata={"description": "Show the event as it was at this moment (ISO 8601; "
                  + NOTE_UTC + ")", "maxLength": MAX_TIMESTAMP},
    )

    @pre_load
    def _bounded(self, data: Any, **_: Any) -> Any:
        """No real timestamp is longer; the bound keeps request lines short."""
        if len(str(data.get("as_of", ""))) > MAX_TIMESTAMP:
            raise ValidationError(f"Longer than {MAX_TIMESTAMP} characters.", "as_of")
        return data


class RevisionQuerySchema(PageQuerySchema):
    """A page of revisions, oldest first."""
