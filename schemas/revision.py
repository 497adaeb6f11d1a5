"""Revisions of events, people and sources: who changed what, when."""

from __future__ import annotations

import datetime as dt
from typing import Any

from marshmallow import Schema, ValidationError, fields, pre_load

from schemas.common import Computed, PageQuerySchema, named_enum

ACTIONS = named_enum("RevisionAction", ("create", "update", "delete"))
MAX_TIMESTAMP = 64
NOTE_UTC = "UTC; a timestamp without an offset is read as UTC."


def _utc(value: object) -> str:
    return value.isoformat() + "Z"  # type: ignore[attr-defined]


class RevisionSchema(Schema):
    """One change to a record (an event, a person, a source), with the record as it was
    after it."""

    number = fields.Integer(metadata={"description": "1 for the creation, then 2, 3, ..."})
    at = Computed(lambda r: _utc(r.at), {"type": "string", "format": "date-time"},
                  metadata={"description": "When, in UTC."})
    who = fields.String(metadata={"description": "The curator's token name, 'seed', or "
                                 "'unrecorded' (the state found when history began)."})
    action = fields.String(metadata={"enum": list(ACTIONS)})
    changed = fields.List(fields.String(), metadata={"description": "Fields that changed."})
    snapshot = fields.Dict(metadata={"description": "The record after the change, as in the "
                                     "seed files."})


class UtcDateTime(fields.AwareDateTime):
    """A moment, in UTC. One whose UTC time falls outside years 1-9999 (e.g.
    ``0001-01-01T00:00:00+01:00``) is the first or last representable moment."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> dt.datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(dt.UTC)
        except OverflowError:
            edge = dt.datetime.min if moment.year == 1 else dt.datetime.max
            return edge.replace(tzinfo=dt.UTC)


class AsOfQuerySchema(Schema):
    as_of = UtcDateTime(
        default_timezone=dt.UTC,
        metadata={"description": "Show the record as it was at this moment (ISO 8601; "
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
