"""oEmbed for the embed page: paste an ``/embed/{mission}`` link into a blog that speaks
oEmbed and it gets the iframe. The embed page links here (``rel="alternate"``)."""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import urlsplit

from flask import request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from api.http.errors import Problem, get_or_404
from api.models import Mission
from schemas.oembed import OEmbedQuerySchema, OEmbedSchema

blp = Blueprint("oembed", __name__, description="oEmbed for the embed page.")
WIDTH, HEIGHT = 800, 650  # the frame's size unless the consumer has less room


def embedded_mission(url: str) -> Mission:
    """The mission of an embed page URL of this server (404 for any other URL)."""
    parts = urlsplit(url)
    own = urlsplit(request.host_url)
    segments = parts.path.split("/")
    if (parts.scheme, parts.netloc) != (own.scheme, own.netloc) or len(segments) != 3 \
            or segments[1] != "embed":
        raise Problem(404, f"Not an embed page of this server: '{url}'. Use "
                      f"{url_for('embed.Embed', mission='MISSION', _external=True)}.")
    return get_or_404(Mission, segments[2], f"No mission with id '{segments[2]}'.")


@blp.route("/oembed", endpoint="OEmbed")
class OEmbed(MethodView):
    @blp.arguments(OEmbedQuerySchema(), location="query")
    @blp.response(200, OEmbedSchema)
    @blp.alt_response(404, description="`url` is not an embed page of this server.")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """oEmbed of an embed page: the iframe a blog pastes for its link"""
        mission = embedded_mission(args["url"])
        width = min(WIDTH, args.get("maxwidth", WIDTH))
        height = min(HEIGHT, args.get("maxheight", HEIGHT))
        title = f"Timeline of {mission.name}"
        html = (f'<iframe src="{escape(args["url"])}" width="{width}" height="{height}" '
                f'style="border:0" title="{escape(title)}" loading="lazy"></iframe>')
        return {"version": "1.0", "type": "rich", "title": title,
                "provider_name": "Mission Timeline API",
                "provider_url": url_for("meta.Index", _external=True), "html": html,
                "width": width, "height": height}
