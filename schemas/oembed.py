"""oEmbed (https://oembed.com): what a blog asks about a pasted embed link, and the answer."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from schemas.common import Digits, String, named_enum

MAX_SIZE = 4000
FORMATS = named_enum("OEmbedFormat", ("json",))


class OEmbedQuerySchema(Schema):
    """The consumer's request: the page's URL and, optionally, the room it has."""

    url = String(required=True, validate=validate.Length(1, 2000), metadata={
        "description": "An embed page of this API (`/embed/{mission}`, with its query).",
        "example": "https://timeline.example.org/embed/the-challenge"})
    format = fields.String(load_default="json", validate=validate.OneOf(FORMATS),
                           metadata={"description": "Only `json`."})
    maxwidth = Digits(validate=validate.Range(1, MAX_SIZE),
                      metadata={"description": "Widest the frame may be, in pixels."})
    maxheight = Digits(validate=validate.Range(1, MAX_SIZE),
                       metadata={"description": "Tallest the frame may be, in pixels."})


class OEmbedSchema(Schema):
    """A `rich` oEmbed answer: the iframe to paste, and its size."""

    version = fields.String(required=True, metadata={"example": "1.0"})
    type = fields.String(required=True, metadata={"example": "rich"})
    title = fields.String(required=True)
    provider_name = fields.String(required=True)
    provider_url = fields.String(required=True, metadata={"format": "uri"})
    html = fields.String(required=True, metadata={"description": "An `<iframe>` of the page."})
    width = fields.Integer(required=True)
    height = fields.Integer(required=True)
