"""The event list: its query (filters, search, sort, view, fields) and its items.

``EventQuerySchema`` is what ``GET /v1/events`` (and the formats' documents) accept;
``EventListItemSchema`` an event as a list shows it, with ``match`` when searched.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from schemas import dates
from schemas.common import FullMatch, PageQuerySchema, String, named_enum
from schemas.event import EVENT_TYPES, STATUSES, EventSchema
from schemas.revision import UtcDateTime

# Everything a search looks at: the title, type and summary, then the lines of an event's
# search text (api/domain/searchtext.py), in this order.
SEARCHED_FIELDS = named_enum("SearchedField", (
    "title", "type", "summary", "note", "location", "tags", "people", "quotes"))


class MatchSchema(Schema):
    """Why an event matched the search `q`."""

    fields_ = fields.List(
        fields.String(validate=validate.OneOf(SEARCHED_FIELDS)), data_key="fields",
        required=True,
        metadata={"description": "What matched: `people` covers every recorded spelling "
                  "(aliases), `quotes` the quotes."})
    snippet = fields.String(
        allow_none=True, required=True,
        metadata={"description": "The first matching field other than the title and type "
                  "(else the title, or type), shortened around the match: HTML-escaped "
                  "text with each matched word in `<mark>…</mark>`."})


def _optional(schema: type[Schema]) -> dict[str, fields.Field]:
    out = {}
    for name, field in schema._declared_fields.items():
        out[name] = copy.deepcopy(field)
        out[name].required = False
    return out


EventListItemSchema = Schema.from_dict({
    **_optional(EventSchema),
    "match": fields.Nested(MatchSchema, metadata={
        "description": "Only with `q`: why this event matched."}),
}, name="EventListItem")
EventListItemSchema.__doc__ = (
    "An event as in `GET /v1/events/{id}`; with `fields` or `view=compact` only the "
    "fields asked for (and `id`), and with `q` its `match`.")


# Each counts events: an event with two tags counts once under each.
FACETS = named_enum("Facet", ("type", "status", "mission", "precision", "person", "tag"))


class FacetCountSchema(Schema):
    """One value of a facet and how many of the filtered events have it."""

    value = fields.String(required=True, metadata={"description": "A type, status, mission "
                          "id, precision, person id or tag."})
    count = fields.Integer(required=True)


FacetsSchema = Schema.from_dict(
    {name: fields.List(fields.Nested(FacetCountSchema), metadata={
        "description": f"Each {name} of the filtered events, most events first."})
     for name in FACETS},
    name="Facets")
FacetsSchema.__doc__ = "The facets asked for with `facets`: each value with its count."


def _date_arg(value: str) -> bool:
    try:
        dates.parse(value)
    except ValueError as err:
        raise ValidationError(str(err)) from err
    return True


class ValueList(fields.List):
    """A list parameter, repeated (``type=launch&type=docking``) or given once with commas
    (``type=launch,docking``, as Launch Library 2 and the Spaceflight News API take it); a
    value holding a comma is given by repeating the parameter (repeated values are taken
    whole). At most ``most`` parameters; errors name the parameter, not ``type.0``."""

    def __init__(self, inner: fields.Field, most: int, **kwargs: Any) -> None:
        self.most = most
        kwargs["metadata"] = {**kwargs.get("metadata", {}), "minItems": 1, "maxItems": most}
        super().__init__(inner, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        values = value if isinstance(value, list) else [value]
        if not 1 <= len(values) <= self.most:
            raise ValidationError(f"Give 1 to {self.most} values.")
        if len(values) == 1 and "," in values[0]:
            parts = [part.strip() for part in values[0].split(",")]
            values = parts if all(parts) else values
        try:
            return super()._deserialize(values, attr, data, **kwargs)
        except ValidationError as err:
            messages = err.messages
            if isinstance(messages, dict):
                messages = sorted({m for ms in messages.values() for m in ms})
            raise ValidationError(messages) from err


# An id in a filter: a slug (schemas.common.SLUG), ``-`` first to exclude it.
ID_FILTER = FullMatch(
    r"^-?[a-z0-9][a-z0-9_-]{0,99}$",
    error="Use an id (1-100 lowercase letters, digits, '-' or '_'), '-' first to exclude it.")


def filter_enum(name: str, choices: tuple[str, ...]) -> tuple[str, ...]:
    """The named enumeration of a filter's values: ``choices`` and each with ``-`` (to
    exclude), whose members generated clients call ``X`` and ``NOT_X``."""
    upper = tuple(c.upper().replace("-", "_") for c in choices)
    return named_enum(name, (*choices, *(f"-{c}" for c in choices)),
                      varnames=(*upper, *(f"NOT_{u}" for u in upper)))


FREE_VALUE, FREE_VALUES = 40, 3  # longest free-text filter value, and how many


def Values(choices: tuple[str, ...] | None = None, what: str = "value", *,
           ids: bool = False, **kwargs: Any) -> fields.List:
    """A filter taking several values (``type=launch,docking`` or repeated) to match any of
    them; a value starting with ``-`` excludes instead (``type=-context``).
    ``choices`` is a named enumeration of ``filter_enum``; ``ids``: values are ids. The
    bounds keep the longest documented URL inside gunicorn's request line (8190 bytes;
    tests/ops/test_request_limits.py): free text is short (names, tags, a place)."""
    most = 20
    if choices is not None:
        shown = [c for c in choices if not c.startswith("-")]
        item: fields.Field = fields.String(validate=validate.OneOf(
            choices,
            error=f"'{{input}}' is not one of: {', '.join(shown)} (prefix '-' to exclude)."))
    elif ids:
        item, most = String(validate=ID_FILTER), 5
    else:
        item, most = String(validate=validate.Length(1, FREE_VALUE)), FREE_VALUES
    description = kwargs.pop("description")
    return ValueList(item, most, metadata={"description": (
        f"{description} Several {what}s (any of them matches): comma-separated "
        f"(`a,b`) or the parameter repeated; prefix a {what} with `-` to exclude it."),
        **kwargs.pop("metadata", {})}, **kwargs)


# Query parameters of the event list that shape the answer rather than choose events.
LIST_ONLY = ("count", "fields_", "view", "facets")
SORTS = named_enum(
    "Sort", ("relevance", "start", "-start", "title", "-title", "changed", "-changed"),
    varnames=("RELEVANCE", "START", "START_DESC", "TITLE", "TITLE_DESC", "CHANGED",
              "CHANGED_DESC"))
VIEWS = named_enum("EventView", ("full", "compact"))
EVENT_FIELDS = named_enum("EventField", tuple(
    field.data_key or name for name, field in EventSchema._declared_fields.items()))
COMPACT_FIELDS = ("id", "mission", "type", "status", "title", "start", "end", "edtf", "links")


class EventQuerySchema(PageQuerySchema):
    """Filters of the event list; all of them combine (AND), the values of one filter
    match any of them (OR), and ``-value`` excludes."""

    mission = Values(what="mission id", ids=True, description="Mission id.",
                     metadata={"example": ["the-challenge"]})
    type = Values(filter_enum("EventTypeFilter", EVENT_TYPES), what="type",
                  description="Event type.")
    status = Values(filter_enum("EventStatusFilter", STATUSES), what="status",
                    description="Event status.")
    person = Values(what="person", description=(
        "Events involving this person: an id, or any spelling the data records for them "
        "(name or alias, e.g. `Peressild`)."), metadata={"example": ["yulia-peresild"]})
    source = Values(what="source id", ids=True, description="Events citing this source id.",
                    metadata={"example": ["003_edd1603faf14b1a0"]})
    tag = Values(what="tag", description="Events with this tag (exact).")
    location = Values(what="location", description=(
        "Events whose location contains this text (case-insensitive)."))
    precision = Values(filter_enum("PrecisionFilter", dates.PRECISIONS), what="precision",
                       description="Precision of the event's start date.")
    changed_since = UtcDateTime(  # (a moment before year 1 in UTC is the first one)
        default_timezone=dt.UTC,
        metadata={"description": "Events created or changed at or after this moment (ISO "
                  "8601; UTC if no offset), e.g. the time of your last sync.",
                  "maxLength": 40})  # no ISO 8601 moment is longer
    disputed = fields.Boolean(
        metadata={"description": "true: only events whose sources disagree (with `claims`); "
                  "false: only the others."})
    from_ = fields.String(
        data_key="from",
        validate=_date_arg,
        metadata={"description": "Events overlapping this date or later (YYYY[-MM[-DD]]).",
                  "pattern": dates.DATE_PATTERN, "example": "2021-10"},
    )
    to = fields.String(
        validate=_date_arg,
        metadata={"description": "Events overlapping this date or earlier (YYYY[-MM[-DD]]).",
                  "pattern": dates.DATE_PATTERN, "example": "2021-10"},
    )
    q = fields.String(
        validate=validate.Length(1, 200),
        metadata={"description": (
            "Words to find in everything a reader sees of an event: title, summary, note, "
            "type, location, tags, people's names and aliases, quotes (not the cited "
            "sources' titles: `source=` finds the events citing a source). "
            "Every word must match a word, stemmed (`docked` finds 'docking'); end a word "
            "with `*` to match the start of words (`laun*`). "
            "Items then carry `match`: the fields that matched and a highlighted snippet."),
            # NUL is refused in any query parameter (api/http/security.py)
            "pattern": r"^[^\x00]*$"},
    )
    sort = fields.String(
        validate=validate.OneOf(SORTS),
        metadata={"description": (
            "`relevance` (best match first; the default with `q`, and only with `q`), "
            "`start` (earliest possible start day; the default without `q`), `title`, "
            "`changed` (last change time); prefix `-` for the reverse order.")},
    )
    count = fields.Boolean(
        load_default=False,
        metadata={"description": (
            "`true`: the page carries `count`, the exact number of events matching the "
            "filters (all pages, not this one). Costs one counting query, so ask only when "
            "needed (it is remembered until the data changes).")},
    )
    view = fields.String(
        load_default="full", validate=validate.OneOf(VIEWS),
        metadata={"description": (
            "`compact`: items with only " + ", ".join(f"`{f}`" for f in COMPACT_FIELDS)
            + " (and `match`).")},
    )
    fields_ = ValueList(
        fields.String(validate=validate.OneOf(EVENT_FIELDS)), 30, data_key="fields",
        metadata={"description": (
            "Only these fields in each item (`fields=title,edtf`, or the parameter "
            "repeated); `id` is always included. Overrides `view`.")},
    )

    facets = ValueList(
        fields.String(validate=validate.OneOf(FACETS)), len(FACETS),
        metadata={"description": (
            "The page carries `facets`: for each facet named (`facets=type,status,person,tag`)"
            ", its values among all the events matching the filters, each with how many "
            "events have it, most first. Like `count`, one query each (remembered until the "
            "data changes).")},
    )

    @validates_schema
    def _check_query(self, data: dict[str, Any], **_: Any) -> None:
        if "from_" in data and "to" in data and (
                dates.earliest(data["from_"]) > dates.latest(data["to"])):
            raise ValidationError(
                f"'{data['from_']}' is after to='{data['to']}': swap them.", "from")
        if data.get("sort") == "relevance" and "q" not in data:
            raise ValidationError("Sorting by relevance needs `q`.", "sort")

    @post_load
    def _default_sort(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if "sort" in self.fields:  # documents of the formats keep their own order
            data.setdefault("sort", "relevance" if "q" in data else "start")
        return data
