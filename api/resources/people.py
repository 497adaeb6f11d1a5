"""People: everyone the events involve, under every spelling the sources use."""

from __future__ import annotations

from flask_smorest import Blueprint

from api.models import Event, EventPerson, Person
from api.resources import records
from schemas import PersonDetailSchema, PersonPatchSchema, PersonSchema

blp = Blueprint("people", __name__, url_prefix="/v1/people", description="People.")

person_detail = records.register(blp, records.Kind(
    Person, (PersonSchema, PersonDetailSchema, PersonPatchSchema), "person",
    used_by=(Event.people, EventPerson.person_id, "events"),
    events_phrase="the events involving them"))
