"""Time travel by the standard (RFC 7089, Memento) for events, people and sources.

- The record's URL (URI-R) is its own TimeGate: a GET with ``Accept-Datetime`` answers 302
  to the memento in force at that moment (``Vary: Accept-Datetime``). Every answer of the
  URL says where its original, TimeGate and TimeMap are (``Link``).
- A memento (URI-M) is the record's URL with ``as_of`` set to a revision's time, to the
  microsecond: it carries ``Memento-Datetime`` and never changes, so it is served
  ``immutable``. Any other ``as_of`` answers with the revision in force then; it is
  immutable too once a later revision exists (until then a write could still follow).
- ``/timemap`` lists every version (revision) but deletions, as ``application/link-format``
  (RFC 6690, as RFC 7089 shows it) or JSON, in pages.
- Before the first version there is no memento: 404. While deleted: 410, with the TimeMap.
  ``Accept-Datetime`` has a second's precision, and a version counts from the second its
  ``Memento-Datetime`` names (so each one found in a TimeMap can be asked for by it).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any, NamedTuple

from flask import Response, request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import Select, func
from werkzeug.http import http_date

from api.domain import history
from api.domain.errors import DomainError
from api.domain.store import taken
from api.extensions import db
from api.http.errors import Problem, as_problem
from api.models import Event, Person, RecordRevision, Revision, Source
from api.queries.pagination import paginate
from schemas import PageQuerySchema
from schemas.memento import AcceptDatetimeSchema, TimeMapPageSchema

IMMUTABLE = "public, max-age=31536000, immutable"
LINK_FORMAT = "application/link-format"
JSON = "application/json"
SECOND = dt.timedelta(seconds=1) - dt.timedelta(microseconds=1)


class Kind(NamedTuple):
    noun: str
    path: str  # under /v1/
    endpoint: str  # the record's URL (URI-R and TimeGate)
    revision_endpoint: str


KINDS: dict[type[db.Model], Kind] = {
    Event: Kind("event", "events", "events.Event", "revisions.EventRevision"),
    Person: Kind("person", "people", "people.Person", "revisions.PersonRevision"),
    Source: Kind("source", "sources", "sources.Source", "revisions.SourceRevision"),
}


def _table(model: type[db.Model]) -> Any:
    return Revision if model is Event else RecordRevision


def _revisions(model: type[db.Model], id: str) -> Select:
    return history.revisions(id) if model is Event else history.other_revisions(model, id)


def stamp(at: dt.datetime) -> str:
    """A revision's time as a memento's ``as_of`` (UTC, to the microsecond)."""
    return at.isoformat(timespec="microseconds") + "Z"


def memento_datetime(at: dt.datetime) -> str:
    return http_date(at.replace(tzinfo=dt.UTC))


def memento_url(model: type[db.Model], id: str, at: dt.datetime) -> str:
    return url_for(KINDS[model].endpoint, id=id, as_of=stamp(at), _external=True)


def links(model: type[db.Model], id: str) -> str:
    """The ``Link`` header of every answer about the record: original, TimeGate, TimeMap."""
    kind = KINDS[model]
    return (f'<{url_for(kind.endpoint, id=id, _external=True)}>; rel="original timegate", '
            f'<{url_for(f"memento.{kind.noun.title()}TimeMap", id=id, _external=True)}>; '
            f'rel="timemap"; type="{LINK_FORMAT}"')


def in_force(model: type[db.Model], id: str, moment: dt.datetime) -> Any:
    """The record's revision in force at ``moment`` (naive UTC), or None before the first."""
    table = _table(model)
    return db.session.scalar(_revisions(model, id).where(table.at <= moment)
                             .order_by(table.number.desc()).limit(1))


def _existed(model: type[db.Model], id: str) -> bool:
    return taken(model, id) or db.session.scalar(
        _revisions(model, id).limit(1)) is not None


def _version_at(model: type[db.Model], id: str, moment: dt.datetime, told: str) -> Any:
    """The revision in force at ``moment``: 404 before the first (or for no such record),
    410 while deleted (with the record's links); ``told`` is how the answer names it."""
    noun = KINDS[model].noun
    revision = in_force(model, id, moment)
    if revision is None and not _existed(model, id):
        raise Problem(404, f"No {noun} with id '{id}'.")
    if revision is None:
        raise Problem(404, f"No {noun} with id '{id}' existed at {told}.",
                      headers={"Link": links(model, id)})
    if revision.action == "delete":
        raise Problem(410, f"The {noun} '{id}' had been deleted by {told}.",
                      headers={"Link": links(model, id)})
    return revision


def as_of(model: type[db.Model], id: str, moment: dt.datetime) -> tuple[Any, int, dict[str, str]]:
    """The answer of ``GET <record>?as_of=moment``: the record as its revision in force
    then recorded it, with the memento's headers."""
    naive = moment.astimezone(dt.UTC).replace(tzinfo=None)
    revision = _version_at(model, id, naive, moment.isoformat())
    record = (history.rebuild(revision) if model is Event
              else history.rebuild_other(model, revision))
    headers = {"Memento-Datetime": memento_datetime(revision.at), "Link": links(model, id)}
    table = _table(model)
    later = db.session.scalar(_revisions(model, id).with_only_columns(table.number)
                              .where(table.number > revision.number).limit(1))
    if naive == revision.at or later is not None:
        headers["Cache-Control"] = IMMUTABLE
    return record, 200, headers


def _gone(model: type[db.Model], id: str) -> Problem | None:
    """The 410 of a deleted person or source (the row is gone, its history stays)."""
    last = db.session.scalar(_revisions(model, id).order_by(_table(model).number.desc())
                             .limit(1))
    if last is None or last.action != "delete":
        return None
    revisions = url_for(f"revisions.{model.__name__}Revisions", id=id, _external=True)
    return Problem(410, f"The {KINDS[model].noun} '{id}' was deleted; its history stays at "
                   f"{revisions}.")


HEADER = {"schema": {"type": "string"}}
REDIRECT_HEADERS = {
    "Location": {**HEADER, "description": "The memento: the record's URL with `as_of`."},
    "Vary": {**HEADER, "description": "`Accept-Datetime`."},
    "Link": {**HEADER, "description": "The original (and TimeGate) and the TimeMap."},
}
MEMENTO_HEADERS = {
    "Memento-Datetime": {**HEADER, "description": "With `as_of`: when the version shown "
                         "was made (an HTTP date)."},
    "Link": {**HEADER, "description": 'The record (`rel="original timegate"`) and its '
             'TimeMap (`rel="timemap"`).'},
    "Vary": {**HEADER, "description": "Without `as_of`: includes `Accept-Datetime`."},
}

TIMEMAP_HEADERS = {
    "Link": {**HEADER, "description": "The record, its TimeMap, and the next and previous "
             "pages."},
    "Vary": {**HEADER, "description": "`Accept`: JSON or link-format."},
}


def timegate(blp: Blueprint, model: type[db.Model]) -> Callable[[Callable[..., Any]], Any]:
    """Make a record's GET view its TimeGate: ``Accept-Datetime`` (without ``as_of``) is
    answered with a 302 to the memento; every answer carries the record's ``Link``s (a
    410 too), and answers without ``as_of`` say they vary by ``Accept-Datetime``."""

    def decorator(view: Callable[..., Any]) -> Any:
        @functools.wraps(view)
        def wrapper(self: MethodView, headers: dict[str, Any], **kwargs: Any) -> Response:
            id, pinned = kwargs["id"], "as_of" in request.args
            try:
                if "accept_datetime" in headers and not pinned:
                    return redirect(model, id, headers["accept_datetime"])
                response = view(self, **kwargs)
            except (Problem, DomainError) as error:
                problem = error if isinstance(error, Problem) else as_problem(error)
                gone = _gone(model, id) if problem.status == 404 and model is not Event else None
                problem = gone or problem
                if problem.status == 410:
                    problem.headers.setdefault("Link", links(model, id))
                raise problem from None
            if not pinned:
                response.vary.add("Accept-Datetime")
                response.headers.add("Link", links(model, id))
            return response

        documented = blp.alt_response(302, description="With `Accept-Datetime`: where the "
                                      "version in force then is.", headers=REDIRECT_HEADERS)(
            wrapper)
        return blp.arguments(AcceptDatetimeSchema(), location="headers")(documented)

    return decorator


def redirect(model: type[db.Model], id: str, moment: dt.datetime) -> Response:
    """The TimeGate's answer: 302 to the memento in force at ``moment`` (to the second)."""
    naive = moment.replace(tzinfo=None) + SECOND
    revision = _version_at(model, id, naive, http_date(moment))
    location = memento_url(model, id, revision.at)
    response = Response(status=302, headers={
        "Location": location, "Link": f'{links(model, id)}, <{location}>; rel="memento"; '
        f'datetime="{memento_datetime(revision.at)}"'})
    response.vary.add("Accept-Datetime")
    del response.headers["Content-Type"]  # no body
    return response


blp = Blueprint("memento", __name__, url_prefix="/v1",
                description="Versions of events, people and sources by the Memento standard "
                "(RFC 7089).")


def timemap(model: type[db.Model], id: str, args: dict[str, Any]) -> Any:
    """A page of the record's TimeMap, as JSON or link-format (by ``Accept``)."""
    if not _existed(model, id):
        raise Problem(404, f"No {KINDS[model].noun} with id '{id}'.")
    table, kind = _table(model), KINDS[model]
    versions = _revisions(model, id).where(table.action != "delete")
    first, last = db.session.execute(versions.with_only_columns(
        func.min(table.number), func.max(table.number))).one()
    revisions, page, headers = paginate(versions, (table.number,), args)
    page["items"] = [{
        "revision": r.number, "at": stamp(r.at), "datetime": memento_datetime(r.at),
        "url": memento_url(model, id, r.at), "first": r.number == first,
        "last": r.number == last, "revision_url": url_for(
            kind.revision_endpoint, id=id, number=r.number, _external=True)}
        for r in revisions]
    page["original"] = page["timegate"] = url_for(kind.endpoint, id=id, _external=True)
    headers = {**headers, "Vary": "Accept"}
    if request.accept_mimetypes.best_match((JSON, LINK_FORMAT)) == LINK_FORMAT:
        response = Response(link_format(page), mimetype=LINK_FORMAT, headers=headers)
        response.headers.add("Link", links(model, id))
        return response
    headers["Link"] = ", ".join(filter(None, (headers.get("Link"), links(model, id))))
    return page, 200, headers


def link_format(page: dict[str, Any]) -> str:
    """A TimeMap page as RFC 7089 shows it (RFC 6690 link-format)."""
    items = page["items"]
    span = (f'; from="{items[0]["datetime"]}"; until="{items[-1]["datetime"]}"'
            if items else "")
    lines = [f'<{page["original"]}>; rel="original timegate"',
             f'<{request.url}>; rel="self"; type="{LINK_FORMAT}"{span}']
    for item in items:
        rel = " ".join(filter(None, ("first" if item["first"] else "",
                                     "last" if item["last"] else "", "memento")))
        lines.append(f'<{item["url"]}>; rel="{rel}"; datetime="{item["datetime"]}"')
    lines += [f'<{page[name]}>; rel="{name}"; type="{LINK_FORMAT}"'
              for name in ("prev", "next") if page[name]]
    return ",\n".join(lines) + "\n"


for _model, _kind in KINDS.items():

    def _get(self: MethodView, args: dict[str, Any], id: str, model: Any = _model) -> Any:
        return timemap(model, id, args)

    _get.__doc__ = (f"List every version of {'an' if _kind.noun == 'event' else 'a'} "
                    f"{_kind.noun} (its Memento TimeMap)\n\nEach version (revision) but a "
                    "deletion is a memento: its URL (`as_of` the revision's time) never "
                    "changes. JSON, or with `Accept: application/link-format` the TimeMap "
                    "of RFC 7089; both in pages (`limit`, `next`). Deleted records keep "
                    "theirs.")
    _view = type(f"{_kind.noun.title()}TimeMap", (MethodView,), {"get": blp.alt_response(
        200, content_type=LINK_FORMAT, example='<https://example.org/v1/events/x>; '
        'rel="original timegate",\n...', description="The TimeMap as link-format.")(
        blp.response(200, TimeMapPageSchema, headers=TIMEMAP_HEADERS)(
            blp.arguments(PageQuerySchema(), location="query")(_get)))})
    blp.route(f"/{_kind.path}/<string:id>/timemap",
              endpoint=f"{_kind.noun.title()}TimeMap")(_view)
