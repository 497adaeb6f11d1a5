"""Marshmallow schemas: one definition per shape, for API output, input and seed files."""

from schemas.basis import DerivationSchema
from schemas.claims import ClaimSchema, DisputeQuerySchema, DisputeSchema
from schemas.common import PageQuerySchema, QuoteRefSchema, flatten_errors, page_of, patch_of
from schemas.dates import DateSchema
from schemas.event import (
    CITABLE_FIELDS,
    EVENT_TYPES,
    STATUSES,
    CitationPatchSchema,
    CitationSchema,
    EventPatchSchema,
    EventPersonSchema,
    EventSchema,
)
from schemas.eventlist import EventQuerySchema
from schemas.mission import MissionSchema
from schemas.person import PersonDetailSchema, PersonPatchSchema, PersonSchema
from schemas.revision import AsOfQuerySchema, RevisionQuerySchema, RevisionSchema
from schemas.source import SourceDetailSchema, SourcePatchSchema, SourceSchema

__all__ = [
    "CITABLE_FIELDS",
    "EVENT_TYPES",
    "STATUSES",
    "AsOfQuerySchema",
    "CitationPatchSchema",
    "CitationSchema",
    "ClaimSchema",
    "DateSchema",
    "DerivationSchema",
    "DisputeQuerySchema",
    "DisputeSchema",
    "EventPatchSchema",
    "EventPersonSchema",
    "EventQuerySchema",
    "EventSchema",
    "MissionSchema",
    "PageQuerySchema",
    "PersonDetailSchema",
    "PersonPatchSchema",
    "PersonSchema",
    "QuoteRefSchema",
    "RevisionQuerySchema",
    "RevisionSchema",
    "SourceDetailSchema",
    "SourcePatchSchema",
    "SourceSchema",
    "flatten_errors",
    "page_of",
    "patch_of",
]
