"""Disagreements as data: where sources differ, each version with the quotes behind it."""

from __future__ import annotations

from typing import Any

from flask import url_for
from marshmallow import Schema, fields, validate

from schemas.common import URL, Computed, Items, PageQuerySchema, QuoteRefSchema, Slug, String


class ClaimValueSchema(Schema):
    """One version of a disputed fact and the quotes that give it."""

    value = String(required=True, validate=validate.Length(1, 300),
                   metadata={"example": "surgeon"})
    quotes = Items(fields.Nested(QuoteRefSchema), min=1, required=True)


class ClaimSchema(Schema):
    """A fact the sources disagree on: its topic, the field it affects, each version."""

    topic = String(required=True, validate=validate.Length(1, 200),
                   metadata={"example": "the heroine's profession"})
    field = String(
        required=True, validate=validate.Length(1, 40),
        metadata={"description": "The field of the event (or source) the disagreement "
                  "concerns.", "example": "summary"},
    )
    values = Items(fields.Nested(ClaimValueSchema), min=2, required=True)


def claim_schema(name: str, fields_: tuple[str, ...]) -> type[Schema]:
    """``ClaimSchema`` whose ``field`` is one of ``fields_`` (an event's or a source's)."""
    field = String(required=True, validate=validate.OneOf(fields_), metadata={
        "description": "The field the disagreement concerns.", "example": fields_[0]})
    return type(f"{name}Schema", (ClaimSchema,), {"field": field})


def _subject_url(claim: Any) -> str:
    if claim.event_id is not None:
        return url_for("events.Event", id=claim.event_id, _external=True)
    return url_for("sources.Source", id=claim.source_id, _external=True)


class DisputeSchema(ClaimSchema):
    """A disputed fact with what it is about: an event or a source."""

    class Meta:
        fields = ("id", "event", "source", "topic", "field", "values", "links")

    id = fields.Integer(dump_only=True)
    event = Slug(attribute="event_id", dump_only=True, allow_none=True)
    source = Slug(attribute="source_id", dump_only=True, allow_none=True)
    links = Computed(lambda claim: {"subject": _subject_url(claim)}, {
        "type": "object", "required": ["subject"], "additionalProperties": False,
        "properties": {"subject": URL}, "description": "The event or source disputed."})


class DisputeQuerySchema(PageQuerySchema):
    """Filters of the dispute list."""

    field = String(validate=validate.Length(1, 40),
                   metadata={"description": "Only disputes about this field."})
    kind = fields.String(validate=validate.OneOf(["event", "source"]),
                         metadata={"description": "Only disputes about events or sources."})
