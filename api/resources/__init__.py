"""One blueprint per resource."""

from flask import Flask

from api.extensions import smorest
from api.resources import (
    changes,
    citations,
    disputes,
    embed,
    events,
    formats,
    memento,
    meta,
    missions,
    oembed,
    people,
    revisions,
    sources,
    webhooks,
)

BLUEPRINTS = (meta.blp, missions.blp, events.blp, sources.blp, people.blp,
              citations.blp, revisions.blp, formats.blp, embed.blp,
              disputes.blp, changes.blp, oembed.blp, webhooks.blp, memento.blp)


def init_app(app: Flask) -> None:
    for blp in BLUEPRINTS:
        smorest.register_blueprint(blp)
    meta.register_docs_assets(app)
