"""The data model: missions, sources, people, cited events, their revisions (and those of
people and sources), and API tokens."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    cast,
    event,
    false,
    func,
    or_,
    select,
    text,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.hybrid import hybrid_method, hybrid_property
from sqlalchemy.orm import (
    Mapped,
    ORMExecuteState,
    Session,
    column_property,
    mapped_column,
    relationship,
    with_loader_criteria,
)

from api.extensions import db
from schemas import dates

# The type or tag of a context event: background to a mission, such as earlier spaceflights.
CONTEXT = "context"


def utcnow() -> dt.datetime:
    """Now in UTC, naive (as every backend stores it)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Mission(db.Model):
    __tablename__ = "missions"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text)
    # The event the embed page opens on (an event of this mission). No foreign key: events
    # refer to missions, and a soft-deleted event would satisfy one anyway; the seed checks
    # it and the page falls back to the first launch (api/resources/embed.py key_event).
    key_event: Mapped[str | None] = mapped_column(String(100))


class Source(db.Model):
    __tablename__ = "sources"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    file: Mapped[str] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(Text)
    title_supplied: Mapped[bool] = mapped_column(default=False, server_default=false())
    publisher: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text)
    # The date the article states, and when its content was written (schemas.dates, with
    # their basis); the second is what its relative dates are read against.
    stated_date: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    written_date: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    language: Mapped[str] = mapped_column(String(35))
    url: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    # The article's full text, for checking quotes: shown to curators only.
    text: Mapped[str | None] = mapped_column(Text, deferred=True)
    # Whether a text is stored, without loading it (why a citation is unverified).
    has_text: Mapped[bool] = column_property(text.column.is_not(None))
    version: Mapped[int] = mapped_column(default=1)  # bumped by every write (compare-and-swap)

    claims: Mapped[list[Claim]] = relationship(
        back_populates="source", order_by="Claim.position", cascade="all, delete-orphan"
    )


class Person(db.Model):
    __tablename__ = "people"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(default=1)  # bumped by every write (compare-and-swap)


def live_index(name: str, *columns: str) -> Index:
    """An index of live events only (``deleted_at`` among its columns: SQLite counts an
    index as covering only if it holds the columns of its own WHERE too)."""
    live = text("deleted_at IS NULL")
    return Index(name, *columns, "deleted_at", sqlite_where=live, postgresql_where=live)


class Event(db.Model):
    __tablename__ = "events"
    # One index per order a list pages by (api/queries/__init__.py ORDERS), and one per
    # indexed filter (mission, type, status) in the default order, each holding the version
    # too, so a page's (id, version) rows are read from the index alone (migration 0013).
    # Facets on such a filter are counted from an index too: the mission's holds type and
    # status (0018); a type filter's status and a status filter's type have a pair index
    # each, read in the counted column's order (0019).
    __table_args__ = (
        *(live_index(name, *columns, "id", "version", *counted)
          for name, columns, counted in (
              ("ix_events_live_earliest", ("earliest", "day_order"), ()),
              ("ix_events_live_title", ("title",), ()),
              ("ix_events_live_changed_at", ("changed_at",), ()),
              ("ix_events_live_mission", ("mission_id", "earliest", "day_order"),
               ("type", "status")),
              ("ix_events_live_type", ("type", "earliest", "day_order"), ()),
              ("ix_events_live_status", ("status", "earliest", "day_order"), ()))),
        *(live_index(f"ix_events_live_{column}_{counted}", column, counted)
          for column, counted in (("type", "status"), ("status", "type"))))

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    mission_id: Mapped[str] = mapped_column(ForeignKey("missions.id"), index=True)
    type: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text)
    start: Mapped[dict[str, Any]] = mapped_column(JSON)
    end: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The first and last day the event can cover: derived from start/end, for sort and filter.
    earliest: Mapped[dt.date] = mapped_column(Date)
    latest: Mapped[dt.date] = mapped_column(Date, index=True)
    # Where the event comes among those of its first day (its start's ``order``; 0 without
    # one): the timeline's order within a day follows what happened (migration 0015).
    day_order: Mapped[int] = mapped_column(default=0, server_default="0")
    location: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str | None] = mapped_column(Text)
    # Everything else a reader sees of the event, for full-text search (api/queries/search.py):
    # note, location, tags, people's names and aliases, quotes.
    search_text: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)  # bumped by every write (compare-and-swap)
    # When the event last changed: the time of its latest revision (UTC, naive).
    changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # Set when a curator deletes the event: it disappears from reads, its id stays taken.
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)

    mission: Mapped[Mission] = relationship()
    citations: Mapped[list[Citation]] = relationship(
        back_populates="event", order_by="Citation.position", cascade="all, delete-orphan"
    )
    people: Mapped[list[EventPerson]] = relationship(
        back_populates="event", order_by="EventPerson.position", cascade="all, delete-orphan"
    )
    claims: Mapped[list[Claim]] = relationship(
        back_populates="event", order_by="Claim.position", cascade="all, delete-orphan"
    )

    # Each of these is one definition for Python and SQL: ``event.has_tag("x")`` on a row,
    # ``select(Event).where(Event.has_tag("x"))`` in SQL.
    @hybrid_method
    def has_tag(self, tag: str) -> bool:
        return tag in (self.tags or ())

    @has_tag.inplace.expression
    @classmethod
    def _has_tag_sql(cls, tag: str) -> ColumnElement[bool]:
        if db.engine.dialect.name == "postgresql":  # an element of the array (no subquery)
            return cast(cls.tags, JSONB).has_key(type_coerce(tag, String))
        tags = func.json_each(cls.tags).table_valued("value")
        return select(tags.c.value).where(tags.c.value == tag).exists()

    @hybrid_property
    def is_context(self) -> bool:
        """Background to the mission rather than part of it: type or tag ``context``."""
        return self.type == CONTEXT or self.has_tag(CONTEXT)

    @is_context.inplace.expression
    @classmethod
    def _is_context_sql(cls) -> ColumnElement[bool]:
        return or_(cls.type == CONTEXT, cls.has_tag(CONTEXT))


@event.listens_for(Event, "before_insert")
@event.listens_for(Event, "before_update")
def _derive_span(_mapper: Any, _conn: Any, target: Event) -> None:
    target.earliest = dates.earliest(target.start["date"])
    target.latest = dates.latest((target.end or target.start)["date"])
    target.day_order = target.start.get("order") or 0


@event.listens_for(Session, "do_orm_execute")
def _hide_deleted_events(state: ORMExecuteState) -> None:
    """Deleted events vanish from every query, unless it sets ``include_deleted=True``."""
    if state.is_select and not state.execution_options.get("include_deleted", False):
        state.statement = state.statement.options(
            with_loader_criteria(Event, Event.deleted_at.is_(None), include_aliases=True)
        )


class Citation(db.Model):
    __tablename__ = "citations"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("events.id"), index=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"), index=True)
    position: Mapped[int]
    quote: Mapped[str] = mapped_column(Text)
    supports: Mapped[list[str]] = mapped_column(JSON)
    # Where the quote occurs in the source's text (character offsets), when verified.
    quote_start: Mapped[int | None]
    quote_end: Mapped[int | None]

    event: Mapped[Event] = relationship(back_populates="citations")
    source: Mapped[Source] = relationship()


class Claim(db.Model):
    """A fact the sources disagree on, about an event or a source (schemas.claims)."""

    __tablename__ = "claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str | None] = mapped_column(ForeignKey("events.id"), index=True)
    source_id: Mapped[str | None] = mapped_column(ForeignKey("sources.id"), index=True)
    position: Mapped[int]
    topic: Mapped[str] = mapped_column(String(200))
    field: Mapped[str] = mapped_column(String(40))
    # Each version: {"value": ..., "quotes": [{"source": ..., "quote": ...}, ...]}.
    values: Mapped[list[dict[str, Any]]] = mapped_column(JSON)

    event: Mapped[Event | None] = relationship(back_populates="claims")
    source: Mapped[Source | None] = relationship(back_populates="claims")


class EventPerson(db.Model):
    __tablename__ = "event_people"

    event_id: Mapped[str] = mapped_column(ForeignKey("events.id"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    role: Mapped[str] = mapped_column(String(200))

    event: Mapped[Event] = relationship(back_populates="people")
    person: Mapped[Person] = relationship()


class Change(db.Model):
    """One entry of the change log: a record created, changed or deleted, in commit order
    (api/domain/changelog.py). The newest ``seq`` is the data version caches compare with."""

    __tablename__ = "changes"
    __table_args__ = (Index("ix_changes_mission_seq", "mission_id", "seq"),)

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime]  # UTC, naive: when the change was committed
    action: Mapped[str] = mapped_column(String(10))  # create, update, delete, restore
    resource: Mapped[str] = mapped_column(String(20))  # mission, event, citation, ...
    record_id: Mapped[str] = mapped_column(String(100))
    # The record's version after the change (events, people, sources), and the revision of
    # the record or, for a citation or a claim, of the event or source holding it.
    version: Mapped[int | None]
    revision: Mapped[int | None]
    mission_id: Mapped[str | None] = mapped_column(String(100))
    # What holds a citation or a claim: ("event", id) or ("source", id).
    parent_resource: Mapped[str | None] = mapped_column(String(20))
    parent_id: Mapped[str | None] = mapped_column(String(100))


class Revision(db.Model):
    __tablename__ = "event_revisions"
    __table_args__ = (UniqueConstraint("event_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("events.id"), index=True)
    number: Mapped[int]  # 1, 2, ... per event
    at: Mapped[dt.datetime] = mapped_column(index=True)  # UTC
    who: Mapped[str] = mapped_column(String(100))  # the token's name, or "seed"
    action: Mapped[str] = mapped_column(String(10))
    changed: Mapped[list[str]] = mapped_column(JSON)  # top-level fields that differ
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)  # the event's seed-file record


class RecordRevision(db.Model):
    """A change to a person or a source, kept like an event's revision."""

    __tablename__ = "record_revisions"
    __table_args__ = (UniqueConstraint("kind", "record_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # "person" or "source"
    # No foreign key: the history outlives a deleted record.
    record_id: Mapped[str] = mapped_column(String(100))
    number: Mapped[int]  # 1, 2, ... per record
    at: Mapped[dt.datetime]  # UTC
    who: Mapped[str] = mapped_column(String(100))  # a token's name, "seed" or "unrecorded"
    action: Mapped[str] = mapped_column(String(10))
    changed: Mapped[list[str]] = mapped_column(JSON)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)  # the record's seed-file form


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    scope: Mapped[str] = mapped_column(String(20))
    # sha256 of the token: a token has 256 random bits, so a fast hash is enough.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
    # After this (UTC) the token is refused; None: never expires.
    expires_at: Mapped[dt.datetime | None]
