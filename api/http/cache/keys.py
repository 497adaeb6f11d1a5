"""Surrogate keys: what each cacheable response shows, and what each change touches.

A shared cache that can purge by key (Varnish with xkey, Fastly's ``Surrogate-Key``,
Cloudflare's ``Cache-Tag``) keeps a response for ``SURROGATE_MAX_AGE`` and drops exactly
the responses a change makes stale: the purge process (api/cli/purge.py) follows the
change log and purges ``change_keys(entry)``; every response is tagged with
``response_keys``. The two sides share one vocabulary:

- ``event:ID``, ``citation:ID``, ``source:ID``, ``person:ID``, ``mission:ID``: a record
  and every response showing it (an event's detail shows its sources' titles and its
  people's names, so it carries their keys too, but only its mission's id; a mission's
  documents, which show its events, carry the mission's key);
- ``events``, ``sources``, ``people``, ``missions``: every list of that kind;
- ``source-events:ID``, ``person-events:ID``: the events a source's or a person's detail
  lists (purged when an event citing or involving them changes, before or after);
- ``changes``: the change log and the snapshot, which move with every change.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Response, g, request
from sqlalchemy import select

from api.extensions import db
from api.models import Citation, Event, EventPerson, Revision

# Endpoints whose responses show exactly these keys (``{id}``: the URL's id).
KEYS: dict[str, tuple[str, ...]] = {
    "events.Events": ("events",), "formats.EventsCsv": ("events",),
    "disputes.Disputes": ("events", "sources"),
    "missions.Missions": ("missions",), "missions.Mission": ("mission:{id}",),
    "formats.Timeline": ("mission:{id}",), "formats.Calendar": ("mission:{id}",),
    "formats.JsonFeed": ("mission:{id}",), "formats.AtomFeed": ("mission:{id}",),
    "embed.Embed": ("mission:{mission}",),
    "sources.Sources": ("sources",), "sources.Source": ("source:{id}", "source-events:{id}"),
    "sources.SourceText": ("source:{id}",),
    "people.People": ("people",), "people.Person": ("person:{id}", "person-events:{id}"),
    "revisions.EventRevisions": ("event:{id}",), "revisions.EventRevision": ("event:{id}",),
    "revisions.PersonRevisions": ("person:{id}",),
    "revisions.PersonRevision": ("person:{id}",),
    "revisions.SourceRevisions": ("source:{id}",),
    "revisions.SourceRevision": ("source:{id}",),
    "citations.EventCitations": ("event:{id}", "sources"),
    "changes.Changes": ("changes",), "changes.Snapshot": ("changes",),
}


def show(*keys: str) -> None:
    """Name what this request's response shows, for the views whose keys depend on the
    record (an event's sources and people): ``response_keys`` then uses these."""
    g.surrogate_keys = keys


def event_shown(event_id: str, sources: Iterable[str], people: Iterable[str]) -> None:
    """``show`` an event: its key and those of the sources and people it shows."""
    show(f"event:{event_id}", *(f"source:{s}" for s in sources),
         *(f"person:{p}" for p in people))


def response_keys(response: Response) -> list[str]:
    """The surrogate keys of this request's successful response (none: not tagged)."""
    if (shown := g.get("surrogate_keys")) is not None:
        return list(shown)
    values = request.view_args or {}
    return [key.format(**values) for key in KEYS.get(request.endpoint or "", ())]


def _referred_by(event_id: str, revision: int | None) -> set[str]:
    """``source-events:S`` and ``person-events:P`` of the sources and people the event
    refers to in this revision and the one before it (a change may add or drop them)."""
    if revision is None:
        return set()
    snapshots = db.session.scalars(select(Revision.snapshot).where(
        Revision.event_id == event_id, Revision.number.in_((revision - 1, revision))))
    return {key for snapshot in snapshots for key in (
        *(f"source-events:{c['source']}" for c in snapshot.get("citations", ())),
        *(f"person-events:{p['person']}" for p in snapshot.get("people", ())))}


def _missions_showing(model: Any, column: Any, ident: str) -> set[str]:
    """The missions of the events that cite a source or involve a person."""
    stmt = (select(Event.mission_id).join(model, model.event_id == Event.id)
            .where(column == ident).distinct().execution_options(include_deleted=True))
    return set(db.session.scalars(stmt))


def change_keys(entry: Any) -> set[str]:
    """The keys a change log entry makes stale (in an app context: a source's or a
    person's change reaches the documents of the missions whose events show them)."""
    keys = {"changes"}
    resource, ident = entry.resource, entry.record_id
    if entry.parent_id:  # a citation or claim: its holder changed too
        keys.add(f"{resource}:{ident}")
        resource, ident = entry.parent_resource, entry.parent_id
    if resource == "event":
        keys |= {f"event:{ident}", "events", f"mission:{entry.mission_id}",
                 *_referred_by(ident, entry.revision)}
    elif resource == "mission":
        keys |= {f"mission:{ident}", "missions"}
    elif resource in ("source", "person"):
        plural = "sources" if resource == "source" else "people"
        model, column = ((Citation, Citation.source_id) if resource == "source"
                         else (EventPerson, EventPerson.person_id))
        keys |= {f"{resource}:{ident}", f"{resource}-events:{ident}", plural, "events"}
        keys |= {f"mission:{m}" for m in _missions_showing(model, column, ident)}
    return keys


def tag(response: Response, max_age: int) -> None:
    """Give a cacheable response its ``Surrogate-Key`` and the shared cache's lifetime
    (``Surrogate-Control``: a purging cache keeps it that long; browsers never see it
    through Varnish, which removes both headers)."""
    keys = response_keys(response)
    if keys and max_age > 0:
        response.headers["Surrogate-Key"] = " ".join(dict.fromkeys(keys))
        response.headers["Surrogate-Control"] = f"max-age={max_age}"
