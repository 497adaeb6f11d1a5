"""The change log: one entry per committed change to a record, in commit order."""

from __future__ import annotations

from typing import Any

from flask import url_for
from marshmallow import Schema, fields, validate

from schemas.common import MAX_PAGE, URL, Computed, Digits, String, named_enum
from schemas.revision import _utc

RESOURCES = named_enum("ChangeResource",
                       ("mission", "source", "person", "event", "citation", "claim"))
ACTIONS = named_enum("ChangeAction", ("create", "update", "delete", "restore"))
SEQ_MAX = 2**31 - 1
# Where each kind of record lives, and the endpoint of one of its revisions.
RECORDS = {"mission": "missions.Mission", "source": "sources.Source",
           "person": "people.Person", "event": "events.Event",
           "citation": "citations.Citation"}
REVISIONS = {"event": "revisions.EventRevision", "person": "revisions.PersonRevision",
             "source": "revisions.SourceRevision"}


def _links(change: Any) -> dict[str, str | None]:
    """The record (a claim's is the event or source holding it) and the exact version the
    entry describes: the revision it made (a citation's or claim's: its holder's)."""
    holder = (change.parent_resource, change.parent_id)
    kind, ident = holder if change.resource == "claim" else (change.resource,
                                                             change.record_id)
    record = url_for(RECORDS[kind], id=ident, _external=True)
    kind, ident = holder if change.parent_id else (change.resource, change.record_id)
    version = (url_for(REVISIONS[kind], id=ident, number=change.revision, _external=True)
               if change.revision is not None and kind in REVISIONS else None)
    return {"record": record, "version": version}


class ChangeSchema(Schema):
    """One committed change: a record created, updated, deleted or restored."""

    seq = fields.Integer(required=True, metadata={
        "description": "Its place in the log: 1, 2, 3, ... in commit order, without gaps."})
    at = fields.Function(lambda c: _utc(c.at), required=True, metadata={
        "description": "When it was committed (UTC).", "type": "string",
        "format": "date-time"})
    action = fields.String(required=True, validate=validate.OneOf(ACTIONS))
    resource = fields.String(required=True, validate=validate.OneOf(RESOURCES))
    id = fields.String(attribute="record_id", required=True, metadata={
        "description": "The record's id (a citation's or claim's number, as a string)."})
    version = fields.Integer(allow_none=True, required=True, metadata={
        "description": "The record's version after the change (events, people, sources)."})
    revision = fields.Integer(allow_none=True, required=True, metadata={
        "description": "The revision the change made: of the record, or of the event or "
        "source holding a citation or claim."})
    mission = fields.String(attribute="mission_id", allow_none=True, required=True)
    parent = Computed(
        lambda c: {"resource": c.parent_resource, "id": c.parent_id} if c.parent_id else None,
        {"type": ["object", "null"], "required": ["resource", "id"],
         "additionalProperties": False,
         "properties": {"resource": {"type": "string", "enum": ["event", "source"]},
                        "id": {"type": "string"}},
         "description": "What holds a citation or a claim (an event or a source)."},
        allow_none=True, required=True)
    links = Computed(_links, {
        "type": "object", "required": ["record", "version"], "additionalProperties": False,
        "properties": {"record": URL, "version": {**URL, "type": ["string", "null"]}},
        "description": "`record`: the record now (a claim's: its holder; 410 or 404 once "
        "deleted); `version`: the revision this change made, or null."}, required=True)


class ChangePageSchema(Schema):
    items = fields.List(fields.Nested(ChangeSchema), required=True)
    next = fields.String(required=True, metadata={
        "description": "Where to read on: the entries after this page's last one, or, at "
        "the end of the log, after `last_seq` (poll it with If-None-Match)."})
    last_seq = fields.Integer(required=True, metadata={
        "description": "The newest entry of the whole log when this page was read."})


class ChangeFiltersSchema(Schema):
    """Which entries to see: each filter given narrows them (none: every entry)."""

    mission = fields.List(String(validate=validate.Length(1, 100)),
                          validate=validate.Length(1, 5),
                          metadata={"description": "Only entries of these missions."})
    resource = fields.List(fields.String(validate=validate.OneOf(RESOURCES)),
                           validate=validate.Length(1, len(RESOURCES)),
                           metadata={"description": "Only entries about these kinds."})
    action = fields.List(fields.String(validate=validate.OneOf(ACTIONS)),
                         validate=validate.Length(1, len(ACTIONS)),
                         metadata={"description": "Only these actions."})


class ChangeQuerySchema(ChangeFiltersSchema):
    after = Digits(load_default=0, validate=validate.Range(0, SEQ_MAX), metadata={
        "description": "Entries after this `seq` (0: from the start); a snapshot's "
        "`seq` to follow on from it."})
    limit = Digits(load_default=100, validate=validate.Range(1, MAX_PAGE),
                   metadata={"description": f"Entries per page, 1 to {MAX_PAGE}."})
