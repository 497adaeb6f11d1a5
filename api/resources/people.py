"""People: everyone the events involve, under every spelling the sources use."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from api import queries
from api.http import writes
from api.http.auth import require
from api.http.errors import get_or_404
from api.models import Event, EventPerson, Person
from api.queries import first_events
from api.queries.pagination import paginate
from schemas import (
    PageQuerySchema,
    PersonDetailSchema,
    PersonPatchSchema,
    PersonSchema,
    page_of,
)

blp = Blueprint("people", __name__, url_prefix="/v1/people", description="People.")


def person_detail(id: str) -> Person:
    """The person ``id`` as its GET shows them, with the events involving them."""
    person = get_or_404(Person, id, f"No person with id '{id}'.")
    person.events = first_events(Event.people.any(EventPerson.person_id == id))
    return person


@blp.route("")
class People(MethodView):
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, page_of(PersonSchema))
    def get(self, args: dict[str, Any]) -> Any:
        """List people"""
        _, page, headers = paginate(select(Person), (Person.id,), args)
        return page, 200, headers

    @require("write")
    @writes.body(blp, PersonSchema)
    @blp.response(201, PersonDetailSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a person (curators)"""
        person = writes.create(Person, data)
        return writes.answer(person_detail(person.id), PersonDetailSchema(), 201,
                             "people.Person")


@blp.route("/<string:id>", endpoint="Person")
class PersonItem(MethodView):
    @blp.response(200, PersonDetailSchema)
    def get(self, id: str) -> Person:
        """Get a person, with the events involving them"""
        return person_detail(id)

    @require("write")
    @writes.body(blp, PersonPatchSchema, writes.MERGE_PATCH)
    @blp.response(200, PersonDetailSchema)
    def patch(self, patch: dict[str, Any], id: str) -> Any:
        """Change a person (curators; needs If-Match)"""
        writes.change(person_detail(id), PersonSchema, PersonDetailSchema(), patch)
        return writes.answer(person_detail(id), PersonDetailSchema(), 200, "people.Person")

    @require("write")
    @blp.response(204)
    def delete(self, id: str) -> None:
        """Delete a person no event involves (curators; needs If-Match)"""
        used = queries.cited(EventPerson.person_id, id)
        writes.remove(person_detail(id), PersonDetailSchema(), "events" if used else None)
