"""Events and their citations: the heart of the timeline.

An event as it is read, written and seeded; the event list's query and items are in
schemas/eventlist.py.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from schemas import dates
from schemas.claims import claim_schema
from schemas.common import (
    MAX_ITEMS,
    Computed,
    Items,
    Slug,
    String,
    Text,
    links,
    named_enum,
    patch_of,
)

EVENT_TYPES = named_enum("EventType", (
    "training",
    "launch",
    "docking",
    "filming",
    "landing",
    "press-conference",
    "announcement",
    "plan",
    "casting",
    "production",
    "release",
    "agreement",
    "spaceflight",
    "statement",
    "festival",
    "context",
))
STATUSES = named_enum("EventStatus", ("occurred", "planned", "speculative", "cancelled"))
CITABLE_FIELDS = named_enum("CitableField", (
    "title",
    "summary",
    "start",
    "end",
    "location",
    "people",
    "status",
    "type",
    "note",
))


class CitationSchema(Schema):
    """A verbatim quote from a source that supports some of an event's fields."""

    id = fields.Integer(dump_only=True, allow_none=True, metadata={
        "description": "For /v1/citations/{id}; null only in an event `as_of` a past moment, "
                       "for a citation removed since."})
    event = fields.String(attribute="event_id", dump_only=True)
    source = Slug(
        required=True, attribute="source_id", metadata={"example": "003_edd1603faf14b1a0"}
    )
    source_title = fields.String(attribute="source.title", dump_only=True, allow_none=True)
    source_publisher = fields.String(attribute="source.publisher", dump_only=True, allow_none=True)
    source_url = fields.String(attribute="source.url", dump_only=True, allow_none=True)
    quote = String(
        prose=True,
        required=True,
        validate=validate.Length(1, 1000),
        metadata={"description": "Verbatim from the source, one sentence at most."},
    )
    supports = Items(
        fields.String(validate=validate.OneOf(CITABLE_FIELDS)),
        min=1,
        max=len(CITABLE_FIELDS),
        required=True,
        metadata={"description": "The event fields this quote supports."},
    )
    verified = Computed(
        lambda c: c.quote_start is not None, {"type": "boolean"},
        metadata={"description": "The quote was found in the source's text (see `offsets`)."},
    )
    unverified_reason = Computed(
        lambda c: unverified_reason(c), {"type": ["string", "null"]},
        metadata={"description": "Why `verified` is false (null when it is true)."},
    )
    offsets = Computed(
        lambda c: None if c.quote_start is None else {"start": c.quote_start, "end": c.quote_end},
        {"type": ["object", "null"], "required": ["start", "end"],
         "additionalProperties": False,
         "properties": {"start": {"type": "integer"}, "end": {"type": "integer"}}},
        metadata={"description": "Where the quote occurs in the source's text, in characters "
                  "(end exclusive); null when not verified."},
    )


def unverified_reason(citation: Any) -> str | None:
    """Why a citation is not verified: its source has no text, or the text lacks it."""
    if citation.quote_start is not None:
        return None
    if not citation.source.has_text:
        return (f"No text of source '{citation.source_id}' is loaded: seed with the articles "
                f"folder (flask seed --articles DIR) or PUT /v1/sources/{citation.source_id}"
                "/text.")
    return "The quote does not occur in the source's current text."


class EventPersonSchema(Schema):
    """A person's part in an event."""

    person = Slug(required=True, attribute="person_id", metadata={"example": "klim-shipenko"})
    name = fields.String(attribute="person.name", dump_only=True)
    role = String(required=True, validate=validate.Length(1, 200))


class EventSchema(Schema):
    """A dated, cited event of a mission."""

    id = Slug(required=True)
    mission = Slug(required=True, attribute="mission_id", metadata={"example": "the-challenge"})
    type = fields.String(required=True, validate=validate.OneOf(EVENT_TYPES))
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    title = String(required=True, validate=validate.Length(1, 300))
    summary = String(prose=True, required=True, validate=validate.Length(1, 5000))
    start = fields.Nested(dates.BoundSchema, required=True)
    end = fields.Nested(dates.BoundSchema, allow_none=True, load_default=None)
    edtf = Computed(
        lambda event: dates.edtf(event.start, event.end), {"type": "string"},
        metadata={"description": "The event's date as EDTF (ISO 8601-2): `..` an open "
                  "bound, `[..2021-10-11]` a date known only as no later than that day.",
                  "example": "2030~"},
    )
    location = Text()
    people = Items(fields.Nested(EventPersonSchema), load_default=list,
                   metadata={"description": f"At most {MAX_ITEMS}."})
    tags = Items(String(validate=validate.Length(1, 100)), load_default=list,
                 metadata={"description": f"At most {MAX_ITEMS}."})
    note = Text(metadata={"description": "Where sources differ, or how a date was inferred."})
    citations = Items(fields.Nested(CitationSchema), min=1, required=True,
                      metadata={"description": f"1 to {MAX_ITEMS}."})
    claims = Items(
        fields.Nested(claim_schema("EventClaim", CITABLE_FIELDS)), load_default=list,
        metadata={"description": "Facts the sources disagree on, each version with its quotes "
                  f"(at most {MAX_ITEMS})."},
    )
    links = links(
        "events.Event",
        mission=("missions.Mission", "id", "mission_id"),
        revisions=("revisions.EventRevisions", "id", "id"),
        embed=("embed.Embed", {"mission": "mission_id", "start_at": "id"}),
        calendar=("formats.Calendar", "id", "mission_id"),
    )

    @validates_schema
    def _check(self, data: dict[str, Any], partial: Any = None, **_: Any) -> None:
        if partial:  # a merge patch: checked once merged
            return
        start, end = data.get("start"), data.get("end")
        if start and start["date"] == dates.OPEN and (end is None or end["date"] == dates.OPEN):
            raise ValidationError("An open start needs a dated end.", "start")
        if start and end and dates.latest(end["date"]) < dates.earliest(start["date"]):
            raise ValidationError("The end cannot come before the start.", "end")
        if end and end.get("order") is not None:
            raise ValidationError("Only the start has an order within its day.", "end")
        people = [p["person_id"] for p in data.get("people", [])]
        if len(people) != len(set(people)):
            raise ValidationError("A person is listed twice.", "people")

EventPatchSchema = patch_of(EventSchema)
CitationPatchSchema = patch_of(CitationSchema)
