from marshmallow import Schema, validate

from schemas.common import Slug, String, links


class MissionSchema(Schema):
    """A mission: the frame a set of events belongs to."""

    id = Slug(required=True)
    name = String(required=True, validate=validate.Length(1, 300))
    summary = String(prose=True, required=True, validate=validate.Length(1, 5000))
    links = links(
        "missions.Mission",
        events=("events.Events", "mission", "id"),
        embed=("formats.Embed", "mission", "id"),
        timelinejs=("formats.Timeline", "id", "id"),
        calendar=("formats.Calendar", "id", "id"),
        feed_json=("formats.JsonFeed", "id", "id"),
        feed_atom=("formats.AtomFeed", "id", "id"),
        csv=("formats.EventsCsv", "mission", "id"),
    )
