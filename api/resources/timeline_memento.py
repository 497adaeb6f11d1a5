"""Memento (RFC 7089) for a mission's TimelineJS document, as for records (memento.py).

The document (with no filter but ``group`` and ``context``) changes whenever one of the
mission's events does: each revision of one of its events (a deletion too) is a version
of the timeline, a memento at ``as_of`` that revision's time. The document's URL is its
TimeGate, ``/timelinejs/timemap`` lists the versions. A filtered document is not
versioned (``as_of`` takes no filter): it ignores ``Accept-Datetime``.

Unlike a record's, a timeline's memento is not served ``immutable``: revisions of
different events are not serialised, so a write in flight could still add one at an
earlier time. It gets the usual short Cache-Control and its ETag.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

from flask import Response, request, url_for
from flask.views import MethodView
from sqlalchemy import Select, func, select
from werkzeug.http import http_date

from api.extensions import db
from api.http.errors import Problem, get_or_404
from api.models import Event, Mission, Revision
from api.queries.pagination import paginate
from api.resources.memento import (
    JSON,
    LINK_FORMAT,
    REDIRECT_HEADERS,
    SECOND,
    TIMEMAP_HEADERS,
    blp,
    link_format,
    memento_datetime,
    stamp,
)
from schemas import AsOfQuerySchema, PageQuerySchema
from schemas.memento import AcceptDatetimeSchema, TimeMapPageSchema

VERSIONED = frozenset({"group", "context"})  # the only parameters a versioned URL has
AS_OF = AsOfQuerySchema()


def _versions(id: str) -> Select:
    """The revisions of mission ``id``'s events (today's mission; deleted events too)."""
    return (select(Revision).join(Event, Event.id == Revision.event_id)
            .where(Event.mission_id == id).execution_options(include_deleted=True))


def _at(id: str, moment: dt.datetime) -> dt.datetime | None:
    """When the timeline's version in force at ``moment`` (naive UTC) was made."""
    return db.session.scalar(_versions(id).with_only_columns(func.max(Revision.at))
                             .where(Revision.at <= moment))


def _url(id: str, **query: Any) -> str:
    args = {k: v for k, v in request.args.items() if k in VERSIONED}
    return url_for("formats.Timeline", id=id, _external=True, **args, **query)


def links(id: str) -> str:
    timemap = url_for("memento.TimelineTimeMap", id=id, _external=True)
    return (f'<{_url(id)}>; rel="original timegate", <{timemap}>; rel="timemap"; '
            f'type="{LINK_FORMAT}"')


def timegate(view: Callable[..., Any]) -> Any:
    """The Timeline view as its TimeGate (see the module docstring)."""

    @functools.wraps(view)
    def wrapper(self: MethodView, headers: dict[str, Any], **kwargs: Any) -> Response:
        id = kwargs["id"]
        if set(request.args) - VERSIONED - {"as_of"}:
            return view(self, **kwargs)  # filtered: not versioned
        if "as_of" not in request.args and "accept_datetime" in headers:
            moment = headers["accept_datetime"]
            get_or_404(Mission, id, f"No mission with id '{id}'.")
            at = _at(id, moment.replace(tzinfo=None) + SECOND)
            if at is None:
                raise Problem(404, f"The timeline of mission '{id}' had no event at "
                              f"{http_date(moment)}.", headers={"Link": links(id)})
            location = _url(id, as_of=stamp(at))
            response = Response(status=302, headers={"Location": location, "Link": (
                f'{links(id)}, <{location}>; rel="memento"; '
                f'datetime="{memento_datetime(at)}"')})
            del response.headers["Content-Type"]
            response.vary.add("Accept-Datetime")
            return response
        response = view(self, **kwargs)
        response.headers.add("Link", links(id))
        if "as_of" in request.args:
            naive = AS_OF.load({"as_of": request.args["as_of"]})["as_of"].replace(tzinfo=None)
            at = _at(id, naive)
            if at is not None:
                response.headers["Memento-Datetime"] = memento_datetime(at)
        else:
            response.vary.add("Accept-Datetime")
        return response

    documented = blp.alt_response(302, description="With `Accept-Datetime` (and no filter "
                                  "but `group` and `context`): the timeline then.",
                                  headers=REDIRECT_HEADERS)(wrapper)
    return blp.arguments(AcceptDatetimeSchema(), location="headers")(documented)


@blp.route("/missions/<string:id>/timelinejs/timemap", endpoint="TimelineTimeMap")
class TimelineTimeMap(MethodView):
    @blp.arguments(PageQuerySchema(), location="query")
    @blp.response(200, TimeMapPageSchema, headers=TIMEMAP_HEADERS)
    @blp.alt_response(200, content_type=LINK_FORMAT, description="The TimeMap as "
                      "link-format.", example='<https://example.org/v1/missions/x/timelinejs>'
                      '; rel="original timegate",\n...')
    def get(self, args: dict[str, Any], id: str) -> Any:
        """List every version of a mission's TimelineJS document (its Memento TimeMap)

        One per revision of one of the mission's events (oldest first), each a memento:
        the document `as_of` that revision's time; `revision_url` is the revision that
        made it. JSON, or with `Accept: application/link-format` as RFC 7089 shows it;
        both in pages (`limit`, `next`).
        """
        get_or_404(Mission, id, f"No mission with id '{id}'.")
        first, last = db.session.execute(_versions(id).with_only_columns(
            func.min(Revision.at), func.max(Revision.at))).one()
        revisions, page, headers = paginate(_versions(id), (Revision.at, Revision.id), args)
        page["items"] = [{
            "revision": r.number, "at": stamp(r.at), "datetime": memento_datetime(r.at),
            "url": _url(id, as_of=stamp(r.at)), "first": r.at == first, "last": r.at == last,
            "revision_url": url_for("revisions.EventRevision", id=r.event_id,
                                    number=r.number, _external=True)} for r in revisions]
        page["original"] = page["timegate"] = _url(id)
        headers = {**headers, "Vary": "Accept"}
        if request.accept_mimetypes.best_match((JSON, LINK_FORMAT)) == LINK_FORMAT:
            response = Response(link_format(page), mimetype=LINK_FORMAT, headers=headers)
            response.headers.add("Link", links(id))
            return response
        headers["Link"] = ", ".join(filter(None, (headers.get("Link"), links(id))))
        return page, 200, headers

