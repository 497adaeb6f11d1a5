"""History: every change to an event, a person or a source, as revisions."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from api.domain import history
from api.domain.store import taken
from api.extensions import db
from api.http.errors import Problem
from api.models import Event, Person, RecordRevision, Revision, Source
from api.queries.pagination import listing
from schemas import RevisionQuerySchema, RevisionSchema, page_of

blp = Blueprint("revisions", __name__, url_prefix="/v1",
                description="History of events, people and sources.")
PAGE = page_of(RevisionSchema)


@blp.route("/events/<string:id>/revisions", endpoint="EventRevisions")
class EventRevisions(MethodView):
    @blp.arguments(RevisionQuerySchema(), location="query")
    @blp.response(200, PAGE)
    def get(self, args: dict[str, Any], id: str) -> Any:
        """List an event's revisions (deleted events' too)

        Each says who changed the event (token name, or `seed`), when (UTC), which fields
        changed, and the event as it was afterwards. `GET /v1/events/{id}?as_of=` shows
        the event at any moment.
        """
        if not taken(Event, id):
            raise Problem(404, f"No event with id '{id}'.")
        return listing(history.revisions(id), (Revision.number,), args)


def other_revisions(model: type[db.Model], noun: str, id: str, args: dict[str, Any]) -> Any:
    """A page of a person's or a source's revisions; 404 if it never existed."""
    stmt = history.other_revisions(model, id)
    if not taken(model, id) and db.session.scalar(stmt.limit(1)) is None:
        raise Problem(404, f"No {noun} with id '{id}'.")
    return listing(stmt, (RecordRevision.number,), args)


@blp.route("/people/<string:id>/revisions", endpoint="PersonRevisions")
class PersonRevisions(MethodView):
    @blp.arguments(RevisionQuerySchema(), location="query")
    @blp.response(200, PAGE)
    def get(self, args: dict[str, Any], id: str) -> Any:
        """List a person's revisions (deleted people's too)

        Who changed the person (token name, `seed`, or `unrecorded` for the state found
        when history began), when (UTC), which fields, and the person afterwards.
        """
        return other_revisions(Person, "person", id, args)


@blp.route("/sources/<string:id>/revisions", endpoint="SourceRevisions")
class SourceRevisions(MethodView):
    @blp.arguments(RevisionQuerySchema(), location="query")
    @blp.response(200, PAGE)
    def get(self, args: dict[str, Any], id: str) -> Any:
        """List a source's revisions (deleted sources' too)

        As for people: who, when (UTC), which fields changed, and the source afterwards.
        """
        return other_revisions(Source, "source", id, args)


def one_revision(model: type[db.Model], noun: str, id: str, number: int) -> Any:
    """One revision of a record (it never changes); 404 if there is none."""
    stmt = (history.revisions(id) if model is Event
            else history.other_revisions(model, id)).filter_by(number=number)
    found = db.session.scalar(stmt)
    if found is None:
        raise Problem(404, f"No revision {number} of {noun} '{id}'.")
    return found


for _model, _noun, _path in ((Event, "event", "events"), (Person, "person", "people"),
                             (Source, "source", "sources")):

    def _get(self: MethodView, id: str, number: int, model: Any = _model,
             noun: str = _noun) -> Any:
        return one_revision(model, noun, id, number)

    _get.__doc__ = f"Get one revision of {'an' if _noun == 'event' else 'a'} {_noun}"
    _view = type(f"{_model.__name__}Revision", (MethodView,),
                 {"get": blp.response(200, RevisionSchema)(_get)})
    blp.route(f"/{_path}/<string:id>/revisions/<int:number>",
              endpoint=f"{_model.__name__}Revision")(_view)
