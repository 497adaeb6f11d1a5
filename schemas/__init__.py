"""Marshmallow schemas: one definition per shape, for API output, input and seed files."""

from schemas.common import PageQuerySchema, flatten_errors, page_of
from schemas.dates import DateSchema
from schemas.event import (
    CITABLE_FIELDS,
    EVENT_TYPES,
    STATUSES,
    CitationSchema,
    EventPersonSchema,
    EventQuerySchema,
    EventSchema,
)
from schemas.mission import MissionSchema
from schemas.person import PersonDetailSchema, PersonSchema
from schemas.revision import AsOfQuerySchema, RevisionQuerySchema, RevisionSchema
from schemas.source import SourceDetailSchema, SourceSchema

__all__ = [
    "CITABLE_FIELDS",
    "EVENT_TYPES",
    "STATUSES",
    "AsOfQuerySchema",
    "CitationSchema",
    "DateSchema",
    "EventPersonSchema",
    "EventQuerySchema",
    "EventSchema",
    "MissionSchema",
    "PageQuerySchema",
    "PersonDetailSchema",
    "PersonSchema",
    "RevisionQuerySchema",
    "RevisionSchema",
    "SourceDetailSchema",
    "SourceSchema",
    "flatten_errors",
    "page_of",
]
