"""The TimelineJS3 document (Knight Lab's JSON format) and the format endpoints' queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from schemas.common import Slug, named_enum
from schemas.eventlist import LIST_ONLY, EventQuerySchema
from schemas.revision import MAX_TIMESTAMP, NOTE_UTC, UtcDateTime

GROUPS = named_enum("TimelineGroup", ("status", "type"))
CALENDAR_PRECISIONS = named_enum("CalendarPrecision", ("any", "day"))


class TimelineDateSchema(Schema):
    """A date at its real precision: ``{"year": 2030}`` or ``{"year": 2021, "month": 10}``."""

    year = fields.Integer(required=True)
    month = fields.Integer()
    day = fields.Integer()


class TimelineTextSchema(Schema):
    headline = fields.String(metadata={"description": "HTML (data escaped)."})
    text = fields.String(metadata={"description": "HTML: the summary and the cited quotes."})


class TimelineSlideSchema(Schema):
    unique_id = fields.String(metadata={"description": "The event id."})
    start_date = fields.Nested(TimelineDateSchema)
    end_date = fields.Nested(TimelineDateSchema)
    display_date = fields.String(metadata={"example": "c. 2030 (planned)"})
    text = fields.Nested(TimelineTextSchema)
    group = fields.String(metadata={
        "description": "The event's status or type; `context` for a context event."})


class TimelineTitleSchema(Schema):
    text = fields.Nested(TimelineTextSchema)


class TimelineSchema(Schema):
    """A TimelineJS3 JSON document: pass its URL to ``new TL.Timeline(...)``."""

    title = fields.Nested(TimelineTitleSchema)
    events = fields.List(fields.Nested(TimelineSlideSchema))


# Mission documents (calendar, TimelineJS) take the event filters, and a cursor when a
# mission holds more events than one document's bound; feeds show only the newest.
_FILTER_ONLY = ("limit", "mission", "sort", *LIST_ONLY)


class DocumentQuerySchema(EventQuerySchema):
    """The filters of ``/v1/events`` for a mission's document."""

    class Meta:
        exclude = _FILTER_ONLY


class FeedQuerySchema(EventQuerySchema):
    """The filters of ``/v1/events`` for a feed (newest first; no cursor)."""

    class Meta:
        exclude = (*_FILTER_ONLY, "cursor")


class TableQuerySchema(EventQuerySchema):
    """The query of ``/v1/events`` with no page size: a table holds up to the bound."""

    class Meta:
        exclude = ("limit", *LIST_ONLY)


class CalendarQuerySchema(DocumentQuerySchema):
    precision = fields.String(
        load_default="any",
        validate=validate.OneOf(CALENDAR_PRECISIONS),
        metadata={"description": "`day`: only events whose dates name a day. By default an "
                  "event known to the month or year is a one-day marker on its first day, "
                  "its date in the title."},
    )


# What ``as_of`` combines with: the rest of the query is about today's events.
AS_OF_ALONE = "with as_of a timeline takes only `group` and `context`."


class TimelineQuerySchema(DocumentQuerySchema):
    as_of = UtcDateTime(default_timezone=dt.UTC, metadata={
        "description": "The mission's timeline as its events' revisions had them at this "
        f"moment (ISO 8601; {NOTE_UTC}): the events that existed then, as they were, in "
        "one document (up to the bound). Takes only `group` and `context` besides; the "
        "mission's own name and summary are today's.", "maxLength": MAX_TIMESTAMP})
    group = fields.String(
        load_default="status",
        validate=validate.OneOf(GROUPS),
        metadata={"description": "Group the slides (timeline rows) by status or by type."},
    )
    context = fields.Boolean(
        load_default=False,
        metadata={"description": "Include context events (background such as earlier "
                  "spaceflights, tagged `context`), in a group of their own. Off by default."},
    )

    @validates_schema
    def _as_of_alone(self, data: dict[str, Any], **_: Any) -> None:
        if "as_of" in data:
            others = sorted(self.fields[name].data_key or name for name in data
                            if name not in ("as_of", "group", "context", "start_at"))
            if others:
                raise ValidationError(f"Leave out {', '.join(others)}: {AS_OF_ALONE}", "as_of")


class EmbedQuerySchema(TimelineQuerySchema):
    start_at = Slug(
        metadata={"description": "The event the page opens on. By default the mission's "
                  "`key_event`, else its first launch, else its first event shown."},
    )
