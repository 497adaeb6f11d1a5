from marshmallow import INCLUDE, Schema, fields


class ProblemSchema(Schema):
    """An RFC 9457 problem: every error the API answers, as ``application/problem+json``."""

    class Meta:
        unknown = INCLUDE  # problem types may add members (e.g. ``errors``)

    type = fields.String(metadata={"example": "about:blank", "format": "uri-reference"})
    title = fields.String(metadata={"example": "Bad Request"})
    status = fields.Integer(metadata={"example": 400})
    detail = fields.String(
        metadata={"example": "Invalid query parameter 'limit': Must be between 1 and 100."}
    )
    instance = fields.String(metadata={"example": "/v1/events"})
    errors = fields.Dict(
        metadata={"description": "Invalid parameters or fields by location, then name."}
    )
