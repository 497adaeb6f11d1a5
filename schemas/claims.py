"""Disagreements as data: where sources differ, each version with the quotes behind it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import url_for
from marshmallow import Schema, fields, validate

from schemas.common import PageQuerySchema, QuoteRefSchema, Slug


class ClaimValueSchema(Schema):
    """One version of a disputed fact and the quotes that give it."""

    value = fields.String(required=True, validate=validate.Length(1, 300),
                          metadata={"example": "surgeon"})
    quotes = fields.List(fields.Nested(QuoteRefSchema), required=True,
                         validate=validate.Length(min=1))


class ClaimSchema(Schema):
    """A fact the sources disagree on: its topic, the field it affects, each version."""

    topic = fields.String(required=True, validate=validate.Length(1, 200),
                          metadata={"example": "the heroine's profession"})
    field = fields.String(
        required=True, validate=validate.Length(1, 40),
        metadata={"description": "The field of the event (or source) the disagreement "
                  "concerns.", "example": "summary"},
    )
    values = fields.List(fields.Nested(ClaimValueSchema), required=True,
                         validate=validate.Length(min=2))


def claim_errors(claims: list[dict[str, Any]], fields_: tuple[str, ...],
                 found: Callable[[dict[str, Any]], str | None] = lambda _: None
                 ) -> dict[int, Any]:
    """Errors of a record's claims: an unknown field, or a quote ``found`` rejects.

    (Whether a quote lies within the record's citations is checked where the quotes are
    known: api/domain/quotes.py.)
    """
    errors: dict[int, Any] = {}
    for i, claim in enumerate(claims):
        if claim["field"] not in fields_:
            errors.setdefault(i, {})["field"] = [f"Must be one of: {', '.join(fields_)}."]
        for j, value in enumerate(claim["values"]):
            for k, ref in enumerate(value["quotes"]):
                message = found(ref)
                if message:
                    errors.setdefault(i, {}).setdefault("values", {}).setdefault(
                        j, {}).setdefault("quotes", {})[k] = {"quote": [message]}
    return errors



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
    links = fields.Function(lambda claim: {"subject": _subject_url(claim)}, dump_only=True)


class DisputeQuerySchema(PageQuerySchema):
    """Filters of the dispute list."""

    field = fields.String(validate=validate.Length(1, 40),
                          metadata={"description": "Only disputes about this field."})
    kind = fields.String(validate=validate.OneOf(["event", "source"]),
                         metadata={"description": "Only disputes about events or sources."})
