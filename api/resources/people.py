"""People: everyone the events involve, under every spelling the sources use."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from schemas import PageQuerySchema, PersonDetailSchema, PersonSchema, page_of

from ..extensions import db
from ..models import Event, EventPerson, Person
from ..pagination import paginate
from .events import first_events

blp = Blueprint("people", __name__, url_prefix="/v1/people", description="People.")


@blp.route("")
class People(MethodView):
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, page_of(PersonSchema))
    def get(self, args: dict[str, Any]) -> Any:
        """List people"""
        _, page, headers = paginate(select(Person), (Person.id,), args)
        return page, 200, headers


@blp.route("/<string:id>", endpoint="Person")
class PersonItem(MethodView):
    @blp.response(200, PersonDetailSchema)
    def get(self, id: str) -> Person:
        """Get a person, with the events involving them"""
        person = db.get_or_404(Person, id, description=f"No person with id '{id}'.")
        person.events = first_events(Event.people.any(EventPerson.person_id == id))
        return person
