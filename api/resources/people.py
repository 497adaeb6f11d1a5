"""People: everyone the events involve, under every spelling the sources use."""

from __future__ import annotations

from flask_smorest import Blueprint

from api.models import Event, EventPerson, Person
from api.resources import records
from schemas import PersonDetailSchema, PersonPatchSchema, PersonSchema

blp = Blueprint("people", __name__, url_prefix="/v1/people", description="People.")

person_detail = records.register(records.Kind(
    blp=blp, model=Person, schema=PersonSchema, detail_schema=PersonDetailSchema,
    patch_schema=PersonPatchSchema, noun="person", collection="People", item="Person",
    involving=lambda id: Event.people.any(EventPerson.person_id == id),
    events_phrase="the events involving them", used_by=(EventPerson.person_id, "events"),
))
