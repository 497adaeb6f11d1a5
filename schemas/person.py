from marshmallow import Schema, validate

from schemas.common import Items, Slug, String, links, patch_of
from schemas.source import with_events


class PersonSchema(Schema):
    """A person, with every spelling of the name the sources use."""

    id = Slug(required=True)
    name = String(required=True, validate=validate.Length(1, 200))
    aliases = Items(String(validate=validate.Length(1, 200)), load_default=list)
    roles = Items(String(validate=validate.Length(1, 200)), load_default=list)
    links = links("people.Person", events=("events.Events", "person", "id"),
                  csv=("formats.EventsCsv", "person", "id"))


PersonDetailSchema = with_events(
    PersonSchema, "Events involving this person (first 100; see links.events).")


PersonPatchSchema = patch_of(PersonSchema)
