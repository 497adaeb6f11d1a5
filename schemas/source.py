from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from schemas.claims import claim_schema
from schemas.common import (
    MAX_ITEMS,
    URL_PATTERN,
    Items,
    Slug,
    StrictBoolean,
    String,
    Text,
    links,
    named_enum,
    patch_of,
)
from schemas.dates import DateSchema

# The fields of a source a claim (a disagreement about the source) can concern.
SOURCE_CLAIM_FIELDS = named_enum("SourceClaimField", (
    "title", "publisher", "author", "stated_date", "written_date"))


class SourceSchema(Schema):
    """A published article the timeline cites. Unknown metadata stays null."""

    id = Slug(required=True)
    file = String(
        required=True,
        validate=validate.Length(1, 200),
        metadata={"description": "Name of the seed file the source was curated from."},
    )
    title = Text(metadata={"description": "The article's headline, or (`title_supplied`) a "
                           "descriptive title the curators gave it."})
    title_supplied = StrictBoolean(
        load_default=False,
        metadata={"description": "The article has no headline: the curators wrote `title`."},
    )
    publisher = Text(metadata={"description": "Only when the article names it."})
    author = Text()
    stated_date = fields.Nested(
        DateSchema, allow_none=True, load_default=None,
        metadata={"description": "The date the article's header or byline states, if any."},
    )
    written_date = fields.Nested(
        DateSchema, allow_none=True, load_default=None,
        metadata={"description": "When the content was written, with its basis: what the "
                  "article's relative dates (\"last year\", \"on Tuesday\") are read against."},
    )
    language = String(load_default="en", validate=validate.Length(2, 35))
    url = String(allow_none=True, load_default=None, validate=validate.Regexp(
        URL_PATTERN, error="Not a valid URL: http(s)://host/path, other characters "
                           "percent-encoded."))
    note = Text()
    claims = Items(
        fields.Nested(claim_schema("SourceClaim", SOURCE_CLAIM_FIELDS)), load_default=list,
        metadata={"description": "Where the article contradicts itself or other sources "
                  f"about its own metadata, e.g. its date (at most {MAX_ITEMS})."},
    )
    links = links("sources.Source", events=("events.Events", "source", "id"),
                  csv=("formats.EventsCsv", "source", "id"))

    @validates_schema
    def _check(self, data: dict[str, Any], partial: Any = None, **_: Any) -> None:
        if partial:  # a merge patch: checked once merged
            return
        own = data.get("id")
        for name in ("stated_date", "written_date"):
            basis = (data.get(name) or {}).get("basis")
            if basis and basis["source"] != own:
                raise ValidationError({name: {"basis": {"source": [
                    "A source's dates rest on its own words: use its id."]}}})
        errors = {i: {"values": {j: {"quotes": {k: {"source": ["Quote the source itself."]}}}}}
                  for i, claim in enumerate(data.get("claims") or [])
                  for j, value in enumerate(claim["values"])
                  for k, ref in enumerate(value["quotes"]) if ref["source"] != own}
        if errors:
            raise ValidationError({"claims": errors})


class SourceEventSchema(Schema):
    """An event a source supports, in brief."""

    id = fields.String()
    title = fields.String()
    links = links("events.Event")


def with_events(schema: type[Schema], description: str) -> type[Schema]:
    """``schema`` with the events a record shows in its detail view (``<Name>DetailSchema``)."""
    name = schema.__name__.removesuffix("Schema") + "DetailSchema"
    events = fields.List(fields.Nested(SourceEventSchema), dump_only=True,
                         metadata={"description": description})
    return type(name, (schema,), {"events": events})


SourceDetailSchema = with_events(
    SourceSchema, "Events citing this source (first 100; see links.events).")


SourcePatchSchema = patch_of(SourceSchema)
