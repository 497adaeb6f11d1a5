"""Webhook subscriptions, their deliveries, and a replay."""

from __future__ import annotations

from typing import Any

from flask import url_for
from marshmallow import Schema, fields, validate

from schemas.change import SEQ_MAX, ChangeFiltersSchema
from schemas.common import URL, URL_PATTERN, Computed, FullMatch, String
from schemas.revision import _utc


def _when(name: str, description: str) -> fields.Function:
    return fields.Function(lambda obj: None if getattr(obj, name) is None
                           else _utc(getattr(obj, name)), dump_only=True, metadata={
                               "description": description, "type": ["string", "null"],
                               "format": "date-time"})


def _links(hook: Any) -> dict[str, str]:
    return {"self": url_for("webhooks.Webhook", id=hook.id, _external=True),
            "deliveries": url_for("webhooks.Deliveries", id=hook.id, _external=True)}


class WebhookSchema(Schema):
    """A subscription: the change log's entries matching `filters`, each POSTed to `url`
    as it is committed, signed by the Standard Webhooks scheme."""

    id = fields.Integer(dump_only=True)
    url = String(required=True, validate=[validate.Length(max=2000), FullMatch(
        URL_PATTERN, error="Not a valid URL: http(s)://host/path, other characters "
        "percent-encoded.")], metadata={
            "description": "Where each entry is POSTed. It must resolve to public addresses "
            "only (unless the operator allows a network); redirects are not followed.",
            "example": "https://example.org/hooks/timeline"})
    filters = fields.Nested(ChangeFiltersSchema, load_default=dict, metadata={
        "description": "Which entries to send (as `GET /v1/changes` filters them); none: all."})
    created_at = _when("created_at", "When it was made (UTC).")
    created_by = fields.String(dump_only=True, metadata={
        "description": "The name of the token that made it."})
    last_seq = fields.Integer(attribute="cursor", dump_only=True, metadata={
        "description": "The last entry delivered (or that the filters passed over): the "
        "next delivery is of a later one."})
    failures = fields.Integer(dump_only=True, metadata={
        "description": "Failed attempts in a row (0 after a delivery)."})
    retry_at = _when("retry_at", "After a failure: no attempt before this (UTC).")
    disabled_at = _when("disabled_at", "When deliveries stopped after too many failures in "
                        "a row (UTC); null while enabled. A replay enables it again.")
    disabled_reason = fields.String(dump_only=True, allow_none=True, metadata={
        "description": "Why deliveries stopped: the count, and the last failure."})
    links = Computed(_links, {
        "type": "object", "required": ["self", "deliveries"], "additionalProperties": False,
        "properties": {"self": URL, "deliveries": URL},
        "description": "The subscription and its deliveries."})


class NewWebhookSchema(WebhookSchema):
    """A subscription as its creation answers it: with its signing secret (shown once)."""

    secret = fields.String(dump_only=True, metadata={
        "description": "The signing secret (`whsec_` + base64), shown only now: verify each "
        "delivery's `webhook-signature` with it (any Standard Webhooks library)."})


class DeliverySchema(Schema):
    """One attempt to deliver one entry."""

    id = fields.Integer(dump_only=True)
    seq = fields.Integer(dump_only=True, metadata={"description": "The entry sent."})
    message_id = fields.String(dump_only=True, metadata={
        "description": "The `webhook-id` header: the same for every retry of an entry."})
    attempt = fields.Integer(dump_only=True, metadata={
        "description": "1 for the first try of this entry, 2 for the first retry, ..."})
    at = _when("at", "When the attempt started (UTC).")
    duration_ms = fields.Integer(dump_only=True)
    status = fields.Integer(dump_only=True, allow_none=True, metadata={
        "description": "The receiver's HTTP status; null when none came."})
    ok = fields.Boolean(dump_only=True, metadata={"description": "Delivered (a 2xx)."})
    error = fields.String(dump_only=True, allow_none=True, metadata={
        "description": "Why the attempt failed; null when delivered."})


class WholeNumber(fields.Integer):
    """A JSON integer, which JSON Schema says ``5.0`` is too; strings, booleans and
    fractions are refused."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int | float) or (
                isinstance(value, float) and not value.is_integer()):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class ReplaySchema(Schema):
    after = WholeNumber(required=True, validate=validate.Range(0, SEQ_MAX),
                           metadata={"description": "Deliver again every matching entry "
                                     "after this `seq` (0: the whole log)."})
