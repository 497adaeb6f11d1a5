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
- ``events``, ``sources``, ``people``, ``missions``: every list of that kind (a source's
  or a person's detail lists events, so it is tagged ``events`` as well);
- ``changes``: the change log and the snapshot, which move with every change.
"""

from __future__ import annotations

from typing import Any

import orjson
from flask import Response, request
from sqlalchemy import select

from api.extensions import db
from api.models import Citation, Event, EventPerson

# Endpoints whose responses show exactly these keys (``{id}``: the URL's id).
KEYS: dict[str, tuple[str, ...]] = {
    "events.Events": ("events",), "formats.EventsCsv": ("events",),
    "disputes.Disputes": ("events", "sources"),
    "missions.Missions": ("missions",), "missions.Mission": ("mission:{id}",),
    "formats.Timeline": ("mission:{id}",), "formats.Calendar": ("mission:{id}",),
    "formats.JsonFeed": ("mission:{id}",), "formats.AtomFeed": ("mission:{id}",),
    "embed.Embed": ("mission:{mission}",),
    "sources.Sources": ("sources",), "sources.Source": ("source:{id}", "events"),
    "sources.SourceText": ("source:{id}",),
    "people.People": ("people",), "people.Person": ("person:{id}", "events"),
    "revisions.EventRevisions": ("event:{id}",), "revisions.EventRevision": ("event:{id}",),
    "revisions.PersonRevisions": ("person:{id}",),
    "revisions.PersonRevision": ("person:{id}",),
    "revisions.SourceRevisions": ("source:{id}",),
    "revisions.SourceRevision": ("source:{id}",),
    "citations.EventCitations": ("event:{id}", "sources"),
    "changes.Changes": ("changes",), "changes.Snapshot": ("changes",),
}


def _shown_by_event(body: dict[str, Any]) -> list[str]:
    """The keys of what an event's (or a citation's) JSON shows of other records."""
    keys = [f"event:{body['event']}"] if "event" in body else []
    keys += [f"source:{c['source']}" for c in body.get("citations", ())]
    keys += [f"source:{body['source']}"] if "source" in body else []
    keys += [f"person:{p['person']}" for p in body.get("people", ())]
    return keys


def response_keys(response: Response) -> list[str]:
    """The surrogate keys of this request's successful response (none: not tagged)."""
    endpoint, values = request.endpoint or "", request.view_args or {}
    if endpoint in ("events.Event", "citations.Citation"):
        kind = endpoint.split(".")[1].lower()
        return [f"{kind}:{values['id']}", *_shown_by_event(orjson.loads(response.get_data()))]
    return [key.format(**values) for key in KEYS.get(endpoint, ())]


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
        keys |= {f"event:{ident}", "events", f"mission:{entry.mission_id}"}
    elif resource == "mission":
        keys |= {f"mission:{ident}", "missions"}
    elif resource in ("source", "person"):
        plural = "sources" if resource == "source" else "people"
        model, column = ((Citation, Citation.source_id) if resource == "source"
                         else (EventPerson, EventPerson.person_id))
        keys |= {f"{resource}:{ident}", plural, "events"}
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
