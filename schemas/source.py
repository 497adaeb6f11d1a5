from marshmallow import Schema, fields, validate

from schemas.common import URL_PATTERN, Slug, String, Text, links, patch_of


class SourceSchema(Schema):
    """A published article the timeline cites. Unknown metadata stays null."""

    id = Slug(required=True)
    file = String(
        required=True,
        validate=validate.Length(1, 200),
        metadata={"description": "Name of the seed file the source was curated from."},
    )
    title = Text()
    publisher = Text()
    author = Text()
    published = fields.Date(allow_none=True, load_default=None)
    language = String(load_default="en", validate=validate.Length(2, 35))
    url = String(allow_none=True, load_default=None, validate=validate.Regexp(
        URL_PATTERN, error="Not a valid URL: http(s)://host/path, other characters "
                           "percent-encoded."))
    note = Text()
    links = links("sources.Source", events=("events.Events", "source", "id"),
                  csv=("formats.EventsCsv", "source", "id"))


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
