from marshmallow import Schema, validate

from schemas.common import Slug, String, links


class MissionSchema(Schema):
    """A mission: the frame a set of events belongs to."""

    id = Slug(required=True)
    name = String(required=True, validate=validate.Length(1, 300))
    summary = String(prose=True, required=True, validate=validate.Length(1, 5000))
    key_event = Slug(
        allow_none=True, load_default=None,
        metadata={"description": "The event the mission's embed page opens on: an event of "
                  "this mission. Unset (`null`), or no longer an event of the mission, the "
                  "page opens on the mission's first `launch` event."},
    )
    links = links(
        "missions.Mission",
        events=("events.Events", "mission", "id"),
        key_event=("events.Event", "id", "key_event"),
        embed=("embed.Embed", "mission", "id"),
        timelinejs=("formats.Timeline", "id", "id"),
        calendar=("formats.Calendar", "id", "id"),
        feed_json=("formats.JsonFeed", "id", "id"),
        feed_atom=("formats.AtomFeed", "id", "id"),
        csv=("formats.EventsCsv", "mission", "id"),
    )
