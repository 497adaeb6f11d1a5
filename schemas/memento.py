"""Time travel by the standard (RFC 7089): the Accept-Datetime header and the TimeMap."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from marshmallow import Schema, ValidationError, fields

from schemas.common import page_of

# An HTTP date as RFC 7089 uses it (RFC 1123, GMT), e.g. "Thu, 14 Oct 2021 00:00:00 GMT".
HTTP_DATE = (r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (0[1-9]|[12][0-9]|3[01]) "
             r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [1-9][0-9]{3} "
             r"([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9] GMT")
EXAMPLE = "Thu, 14 Oct 2021 00:00:00 GMT"


class HttpDate(fields.String):
    """An RFC 1123 date in GMT, loaded as an aware UTC datetime (the weekday is not checked)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> dt.datetime:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not re.fullmatch(HTTP_DATE, text):
            raise ValidationError(f"Not an HTTP date (RFC 1123, GMT), e.g. '{EXAMPLE}'.")
        try:
            moment = dt.datetime.strptime(text[5:], "%d %b %Y %H:%M:%S GMT")
        except ValueError as err:
            raise ValidationError(f"No such day: {text[5:16]}.") from err
        return moment.replace(tzinfo=dt.UTC)


class AcceptDatetimeSchema(Schema):
    accept_datetime = HttpDate(data_key="Accept-Datetime", metadata={
        "description": "Ask this URL's TimeGate for the version in force at this moment "
        f"(RFC 7089), e.g. `{EXAMPLE}`: the answer is a 302 to that version (a memento). "
        "A version counts from the second its `Memento-Datetime` names.",
        "pattern": f"^{HTTP_DATE}$", "example": EXAMPLE})


class MementoSchema(Schema):
    """One version of a record in its TimeMap."""

    revision = fields.Integer(metadata={"description": "The revision this version is."})
    datetime = fields.String(metadata={
        "description": "When it was made, as its `Memento-Datetime` says (an HTTP date).",
        "example": EXAMPLE})
    at = fields.String(metadata={"description": "When it was made, in UTC, to the "
                                 "microsecond (its `as_of`)."})
    url = fields.String(metadata={"description": "The memento: the record at `as_of=at`, "
                                  "which never changes."})
    revision_url = fields.String(metadata={"description": "The revision itself (who, what "
                                           "changed)."})


TimeMapPageSchema = page_of(
    MementoSchema, "TimeMapPageSchema",
    original=fields.String(required=True, metadata={
        "description": "The record's URL (also its TimeGate)."}),
    timegate=fields.String(required=True, metadata={
        "description": "Where `Accept-Datetime` is answered: the record's URL."}),
)
