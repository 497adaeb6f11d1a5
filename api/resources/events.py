"""Events: the cited facts of the timeline."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
from flask import Response, current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields
from sqlalchemy import select

from api.domain import history
from api.domain.changelog import data_version
from api.domain.store import apply, derived_from, event_references, own_dates, taken
from api.extensions import db
from api.http import writes
from api.http.auth import require
from api.http.cache import fragments, keys
from api.http.errors import Problem
from api.models import Event, utcnow
from api.queries import EventQuery, get_event, load_events, search
from api.resources import memento
from api.resources.changes import NDJSON, line, ndjson_response
from api.resources.eventpage import event_page
from api.resources.meta import wants_html
from schemas import AsOfQuerySchema, EventPatchSchema, EventQuerySchema, EventSchema, page_of
from schemas.common import MAX_PAGE
from schemas.eventlist import COMPACT_FIELDS, EventListItemSchema, FacetsSchema

EventPageSchema = page_of(EventListItemSchema, "EventPageSchema", facets=fields.Nested(
    FacetsSchema, allow_none=True, required=True,
    metadata={"description": "With `facets`: counts per value for the filtered events; "
              "otherwise null."}))

blp = Blueprint("events", __name__, url_prefix="/v1/events", description="Cited events.")
VARY = {"Vary": "Accept"}
EVENT = EventSchema()


def events_page_response(query: EventQuery) -> Response:
    """The response of a page of events: one query for the page's ids and versions, then
    the page as memoised for exactly those versions, or else laid out from the events' JSON,
    of which only what is not memoised is loaded and dumped (api/http/cache/fragments.py);
    with ``q``, fields or a view, each item is then annotated or cut down."""
    args = query.args
    rows, page, headers = query.page()
    page["count"] = query.count() if args["count"] else None
    page["facets"] = query.facets(tuple(args["facets"])) if args.get("facets") else None
    shaping = (args.get("q"), tuple(args.get("fields_") or ()), args["view"])

    def build() -> dict[str, Any]:
        items = shape(fragments.render(rows, load_events, EVENT), args)
        return {**page, "items": items}

    key = ("page", fragments.root(), shaping, fragments.versions(rows), page["next"],
           page["prev"], page["count"], page["facets"] and orjson.dumps(page["facets"]))
    return fragments.document(key, build, headers)


def events_stream(query: EventQuery) -> Response:
    """Every event the list's filters match, in its order, as NDJSON: the list's items
    read page by page (so memory stays bounded however many match)."""
    def lines() -> Iterator[bytes]:
        cursor = None
        while True:
            rows, page, _ = query.page(limit=MAX_PAGE, cursor=cursor)
            items = shape(fragments.render(rows, load_events, EVENT), query.args)
            yield b"".join(line(item) for item in items)
            db.session.expunge_all()
            if not page["next"]:
                return
            cursor = page["next_cursor"]

    return ndjson_response(lines(), f"events:{data_version()}:{request.query_string!r}", {})


NO_MATCH = {"fields": [], "snippet": None}


def shape(items: list[dict[str, Any]], args: dict[str, Any]) -> list[dict[str, Any]]:
    """Items with only the fields asked for (``fields``, ``view``) and, with ``q``, why
    each matched (``match``)."""
    keep = (("id", *args["fields_"]) if args.get("fields_")
            else COMPACT_FIELDS if args["view"] == "compact" else None)
    if keep is not None:
        items = [{key: value for key, value in item.items() if key in keep} for item in items]
    if "q" in args:
        matches = search.highlights(args["q"], [item["id"] for item in items])
        items = [{**item, "match": matches.get(item["id"]) or NO_MATCH} for item in items]
    return items


def event_response(id: str) -> Response:
    """The response of a GET of the event ``id`` (as ``get_event`` finds it, dumped by
    ``EventSchema``), its JSON memoised by version."""
    row = db.session.execute(select(Event.id, Event.version, Event.deleted_at)
                             .where(Event.id == id).execution_options(include_deleted=True)
                             ).first()
    found = fragments.render([row], load_events, EVENT) if row else []
    if not found or row.deleted_at is not None:
        get_event(id)  # 404 or 410
    keys.event_shown(id, (c["source"] for c in found[0]["citations"]),
                     (p["person"] for p in found[0]["people"]))
    return current_app.json.response(found[0])


@blp.route("")
class Events(MethodView):
    @blp.arguments(EventQuerySchema(), location="query", as_kwargs=False)
    @blp.response(200, EventPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """List events

        Filters combine (AND); repeat a filter for several values (any matches) and prefix
        a value with `-` to exclude it. Unknown mission, person or source ids answer 400
        with the nearest valid ids; `person` also takes any recorded spelling of a name.
        `from`/`to` match every event whose possible days overlap the range, at the
        precision of both dates. With `q`, items are in relevance order (unless `sort`
        says otherwise) and carry `match`. Pages follow `next` and `prev` (or the `Link`
        header); `count=true` adds the exact total. With `Accept: application/x-ndjson`
        the answer is every matching event, one per line, streamed (no pages).
        """
        query = EventQuery.of(args)
        if request.accept_mimetypes.best_match((writes.JSON, NDJSON)) == NDJSON:
            return events_stream(query)
        return events_page_response(query)

    @require("write")
    @writes.body(blp, EventSchema)
    @blp.response(201, EventSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Create an event (curators)

        The body is an event as in `seeds/events.yaml`; quotes are checked against their
        source's text when it is known. An id is never reused, even after a delete (409).
        """
        if taken(Event, data["id"]):
            raise Problem(409, f"The id '{data['id']}' is taken (ids of deleted events too).")
        writes.check_references(event_references(data))
        event = Event(id=data["id"])
        db.session.add(event)
        apply(event, data)
        writes.save_event(event, "create")
        return writes.answer(get_event(event.id), EventSchema(), 201, "events.Event")


@blp.route("/<string:id>", endpoint="Event")
class EventItem(MethodView):
    @memento.timegate(blp, Event)
    @blp.arguments(AsOfQuerySchema(), location="query")
    @blp.response(200, EventSchema, headers={**memento.MEMENTO_HEADERS, "Vary": {
        "description": "`Accept` (the JSON and the page are two representations) and, "
        "without `as_of`, `Accept-Datetime`.", "schema": {"type": "string"}}})
    @blp.alt_response(200, content_type="text/html", example="<!doctype html>",
                      description="With `Accept: text/html` preferred (a browser): the "
                      "event as a page, with schema.org JSON-LD and Open Graph tags.")
    @blp.alt_response(410, description="The event was deleted (or had been, at `as_of`).")
    def get(self, args: dict[str, Any], id: str) -> tuple[Any, int, dict[str, str]]:
        """Get an event, with its citations and people (a page for a browser)

        With `as_of`, the event as its revision history had it at that moment (a
        memento); with `Accept-Datetime`, a redirect to it. `/timemap` lists every version.
        A browser (`Accept: text/html` preferred) gets the event as a page to read: dates
        with how they were reached, people, every citation with its quote, disputes.
        """
        event, headers = None, dict(VARY)
        if "as_of" in args:
            event, _, memento_headers = memento.as_of(Event, id, args["as_of"])
            headers.update(memento_headers)
        if wants_html():
            event = event or get_event(id)
            keys.event_shown(id, (c.source_id for c in event.citations),
                             (p.person_id for p in event.people))
            return event_page(event), 200, headers
        return (event or event_response(id)), 200, headers

    @require("write")
    @writes.body(blp, EventPatchSchema, writes.MERGE_PATCH)
    @blp.response(200, EventSchema)
    @blp.alt_response(409, description="Other dates derive from this start and would no "
                      "longer follow from their basis; `detail` names them.")
    def patch(self, patch: dict[str, Any], id: str) -> Any:
        """Change an event (curators; needs If-Match)

        Send only the fields to change (a list such as `citations` is replaced whole), with
        `If-Match` set to the ETag of your GET: 428 without it, 412 if the event changed.
        A new date for one that had a basis needs its own basis (422); a new start that
        other dates derive from and would no longer agree with answers 409 naming them.
        """
        event = get_event(id)
        writes.check_if_match(writes.etag(EventSchema(), event))
        data = writes.load(EventSchema(), writes.merged(EventSchema, event, patch))
        writes.check_bases_kept(own_dates(event), {"start": data["start"], "end": data["end"]})
        writes.check_references(event_references(data))
        writes.claim(event)
        apply(event, data)
        writes.save_event(event)
        return writes.answer(get_event(id), EventSchema(), 200, "events.Event")

    @require("write")
    @blp.response(204)
    def delete(self, id: str) -> None:
        """Delete an event (curators; needs If-Match)

        The event leaves every list and answers 410 Gone; its revisions stay, and its id
        is never used again. 409 while another date's basis refers to it.
        """
        event = get_event(id)
        writes.check_if_match(writes.etag(EventSchema(), event))
        users = derived_from("event", id)
        if users:
            raise Problem(409, f"The dates of {', '.join(users)} derive from this event: "
                          "change their basis first.")
        writes.claim(event)
        event.deleted_at = utcnow()
        history.record(event, g.curator, "delete")
        writes.commit()
