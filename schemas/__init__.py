"""Marshmallow schemas: one definition per shape, for API output, input and seed files."""

from .common import PageQuerySchema, flatten_errors, page_of
from .dates import DateSchema
from .event import (
    CITABLE_FIELDS,
    EVENT_TYPES,
    STATUSES,
    CitationSchema,
    EventPersonSchema,
    EventQuerySchema,
    EventSchema,
)
from .mission import MissionSchema
from .person import PersonDetailSchema, PersonSchema
from .revision import AsOfQuerySchema, RevisionQuerySchema, RevisionSchema
from .source import SourceDetailSchema, SourceSchema

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
