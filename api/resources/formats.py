"""The timeline where people use it: TimelineJS, iCalendar, feeds, CSV (the embeddable page
is api/resources/embed.py).

Every format is built from the same filtered events as ``/v1/events``. A document holds at
most ``FORMAT_MAX_EVENTS`` events (1000 by default): calendars, TimelineJS and CSV carry a
``Link: rel="next"`` header to the rest when there are more; feeds show the newest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable
from types import SimpleNamespace
from typing import Any

import orjson
from flask import Response, current_app, request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from api.domain import history
from api.extensions import db
from api.formats import CHANGE_ORDER, feeds, ical, table, timelinejs
from api.http import websub
from api.http.cache import fragments
from api.http.errors import Problem
from api.models import Event, Mission
from api.queries import WITH_DETAILS, EventQuery, load_events
from api.resources import timeline_memento
from api.resources.memento import MEMENTO_HEADERS
from schemas.timelinejs import (
    CalendarQuerySchema,
    FeedQuerySchema,
    TableQuerySchema,
    TimelineQuerySchema,
    TimelineSchema,
    TimelineSlideSchema,
    TimelineTitleSchema,
)

blp = Blueprint("formats", __name__, description="The timeline as TimelineJS, iCalendar, "
                "JSON Feed, Atom and CSV.")

CALENDAR = "text/calendar"
JSON_FEED = "application/feed+json"
ATOM = "application/atom+xml"
CSV = "text/csv"


def get_mission(id: str) -> Mission:
    """The mission ``id``, or 404."""
    mission = db.session.get(Mission, id)
    if mission is None:
        raise Problem(404, f"No mission with id '{id}'.")
    return mission


def _event_url(event: Event) -> str:
    return url_for("events.Event", id=event.id, _external=True)


def document_rows(args: dict[str, Any], verified: tuple[str, ...] = (),
                  with_mission: bool = False) -> tuple[list[Any], dict[str, str]]:
    """The ``(id, version, ...)`` rows of up to FORMAT_MAX_EVENTS events in timeline order,
    and the ``Link`` header to the rest."""
    bounded = {"sort": "start", **args, "limit": current_app.config["FORMAT_MAX_EVENTS"]}
    rows, _, headers = EventQuery.of(bounded, verified).page(with_mission)
    return rows, headers


def mission_document_rows(id: str, args: dict[str, Any],
                          ) -> tuple[Any, list[Any], dict[str, str]]:
    """``document_rows`` of mission ``id``'s events, and the mission (its id, name and
    summary): from the rows when they show an event (each holds its mission's), else
    read, or a 404."""
    rows, headers = document_rows({**args, "mission": id}, ("mission",), with_mission=True)
    if rows and "mission_name" in rows[0]._fields:
        mission = SimpleNamespace(id=id, name=rows[0].mission_name,
                                  summary=rows[0].mission_summary)
        return mission, rows, headers
    return get_mission(id), rows, headers


def document_pieces(rows: list[Any], render: Callable[[Event], bytes],
                    kind: Hashable) -> list[Any]:
    """``render(event)`` of the events of ``rows``, each memoised by event version like
    events' JSON (so only events changed since are loaded and rendered); empty pieces
    are left out."""
    return [piece for piece in fragments.pieces(rows, load_events, render, kind=kind) if piece]


SLIDE, TITLE = TimelineSlideSchema(), TimelineTitleSchema()


def timeline_response(id: str, args: dict[str, Any]) -> Response:
    """Mission ``id``'s TimelineJS document: the bytes of dumping ``timelinejs.timeline``
    by TimelineSchema, memoised for the versions of its events, or else made of memoised
    slides."""
    group = args["group"]  # context events are left out by the query unless asked for
    mission, rows, headers = mission_document_rows(id, args)

    def render(event: Event) -> bytes:
        return orjson.dumps(SLIDE.dump(timelinejs.slide(event, group)),
                            default=current_app.json.default)

    def build() -> dict[str, Any]:
        slides = document_pieces(rows, render, ("timelinejs", group))
        return {"title": TITLE.dump(timelinejs.title(mission)),
                "events": [orjson.loads(slide) for slide in slides]}

    key = ("timelinejs", fragments.root(), group, mission.id, mission.name, mission.summary,
           fragments.versions(rows))
    return fragments.document(key, build, headers)


def timeline_as_of(id: str, args: dict[str, Any]) -> dict[str, Any]:
    """Mission ``id``'s TimelineJS document as its events were at ``args["as_of"]``."""
    mission = get_mission(id)
    moment = args["as_of"].astimezone(dt.UTC).replace(tzinfo=None)
    events = history.mission_as_of(id, moment, current_app.config["FORMAT_MAX_EVENTS"])
    return timelinejs.timeline(mission, events, args["group"], args["context"])


def feed_events(args: dict[str, Any]) -> list[Event]:
    """Up to the bound of events, newest change first."""
    stmt = EventQuery.of(args).select().options(*WITH_DETAILS).order_by(*CHANGE_ORDER)
    return list(db.session.scalars(stmt.limit(current_app.config["FORMAT_MAX_EVENTS"])))


def file_response(body: str | bytes, mimetype: str, headers: dict[str, str] | None = None,
              filename: str | None = None, inline: bool = True) -> Response:
    response = current_app.response_class(body, mimetype=mimetype, headers=headers)
    if filename:
        kind = "inline" if inline else "attachment"
        response.headers["Content-Disposition"] = f'{kind}; filename="{filename}"'
    return response


@blp.route("/v1/missions/<string:id>/timelinejs", endpoint="Timeline")
class Timeline(MethodView):
    @timeline_memento.timegate
    @blp.doc(operationId="get_timelinejs")
    @blp.arguments(TimelineQuerySchema(), location="query")
    @blp.response(200, TimelineSchema, headers=MEMENTO_HEADERS)
    def get(self, args: dict[str, Any], id: str) -> Any:
        """A mission's events as a TimelineJS3 document

        Give its URL to Knight Lab's `new TL.Timeline(element, url)`. Takes the filters of
        `/v1/events`; dates keep their precision and `display_date` says when a date is
        approximate, inferred, planned or speculative. With `as_of`, the timeline as it
        was then (the embed page passes it on, so an embed can be pinned to a moment): a
        memento; with `Accept-Datetime`, a redirect to it; `/timemap` lists them.
        """
        if "as_of" in args:
            return timeline_as_of(id, args)
        return timeline_response(id, args)


def wants_calendar() -> bool:
    """Whether the client's ``Accept`` header prefers iCalendar to JSON."""
    best = request.accept_mimetypes.best_match(["application/json", CALENDAR])
    return best == CALENDAR and request.accept_mimetypes[CALENDAR] > 0


def calendar_response(id: str, args: dict[str, Any]) -> Response:
    """The iCalendar of mission ``id``'s events matching ``args``."""
    precision = args.pop("precision", "any")

    def render(event: Event) -> bytes:  # empty: not in a calendar of this precision
        if not ical.shown(event, precision):
            return b""
        return ical.vevent(event, _event_url(event)).to_ical()

    mission, rows, headers = mission_document_rows(id, args)
    vevents = document_pieces(rows, render, ("ical", precision))
    body = ical.assemble(mission, vevents)
    return file_response(body, CALENDAR, headers, filename=f"{mission.id}.ics")


@blp.route("/v1/missions/<string:id>/calendar.ics", endpoint="Calendar")
class Calendar(MethodView):
    @blp.arguments(CalendarQuerySchema(), location="query")
    @blp.response(200, content_type=CALENDAR, example="BEGIN:VCALENDAR\r\n...")
    def get(self, args: dict[str, Any], id: str) -> Response:
        """A mission's events as an iCalendar (RFC 5545) to subscribe to

        One all-day VEVENT per event. A day-precision event spans its days; an event known
        only to the month or year is a one-day marker on its first possible day with its
        date in the title, e.g. `First steps on the Moon (1969)` (`precision=day` leaves
        those out). Planned and speculative events are TENTATIVE.
        """
        return calendar_response(id, args)


def _feed_urls(mission: Mission) -> tuple[str, str]:
    return request.url, url_for("embed.Embed", mission=mission.id, _external=True)


def _feed_response(response: Response) -> Response:
    """A feed with its WebSub hub and self in ``Link`` (api/http/websub.py), if a hub is set."""
    links = websub.hub_links(request.url)
    if links:
        response.headers["Link"] = links
    return response


FEED_HEADERS = {"Link": {"schema": {"type": "string"}, "description": "With a WebSub hub "
                         'configured: the hub (`rel="hub"`) and this feed (`rel="self"`).'}}


@blp.route("/v1/missions/<string:id>/feed.json", endpoint="JsonFeed")
class JsonFeed(MethodView):
    @blp.arguments(FeedQuerySchema(), location="query")
    @blp.response(200, content_type=JSON_FEED, example={"version": feeds.JSON_FEED_VERSION},
                  headers=FEED_HEADERS)
    def get(self, args: dict[str, Any], id: str) -> Response:
        """A mission's events as a JSON Feed 1.1, newest change first

        With a WebSub hub configured, `hubs` and the `Link` header name it: subscribe
        there to have changes pushed.
        """
        mission = get_mission(id)
        doc = feeds.json_feed(mission, feed_events({**args, "mission": mission.id}),
                              *_feed_urls(mission), _event_url, current_app.config["WEBSUB_HUB"])
        response = current_app.json.response(doc)
        response.mimetype = JSON_FEED
        return _feed_response(response)


@blp.route("/v1/missions/<string:id>/feed.atom", endpoint="AtomFeed")
class AtomFeed(MethodView):
    @blp.arguments(FeedQuerySchema(), location="query")
    @blp.response(200, content_type=ATOM, example="<feed xmlns=\"http://www.w3.org/2005/Atom\">",
                  headers=FEED_HEADERS)
    def get(self, args: dict[str, Any], id: str) -> Response:
        """A mission's events as an Atom feed, newest change first

        With a WebSub hub configured, a `rel="hub"` link (and the `Link` header) names it.
        """
        mission = get_mission(id)
        body = feeds.atom(mission, feed_events({**args, "mission": mission.id}),
                          *_feed_urls(mission), _event_url, current_app.config["WEBSUB_HUB"])
        return _feed_response(file_response(body, ATOM))


@blp.route("/v1/events.csv", endpoint="EventsCsv")
class EventsCsv(MethodView):
    @blp.arguments(TableQuerySchema(), location="query")
    @blp.response(200, content_type=CSV, example=",".join(table.COLUMNS))
    def get(self, args: dict[str, Any]) -> Response:
        """Events as a CSV table, one row per event with its citation count

        Takes the query of `/v1/events`. UTF-8 with a byte order mark, so spreadsheets
        read the text right; comma-separated, quoted where needed (RFC 4180).
        """
        rows, headers = document_rows(args)
        lines = document_pieces(
            rows, lambda event: table.line(table.row(event, _event_url(event))).encode(), "csv")
        body = "\ufeff".encode() + table.line(table.COLUMNS).encode() + b"".join(lines)
        return file_response(body, CSV, headers, filename="events.csv", inline=False)
