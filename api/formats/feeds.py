"""JSON Feed 1.1 and Atom (RFC 4287) feeds of a mission's events, newest change first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from api.formats import changed, event_html, event_text
from api.models import Event, Mission

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)  # the `updated` of a feed with no entries
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"


def tag_uri(kind: str, id: str) -> str:
    """A permanent id (RFC 4151) that survives a change of host name."""
    return f"tag:mission-timeline,2021:{kind}/{id}"


def json_feed(mission: Mission, events: Sequence[Event], feed_url: str, home_url: str,
              url_of: Callable[[Event], str], hub: str = "") -> dict[str, Any]:
    """The JSON Feed document; ``events`` come newest change first. With a WebSub ``hub``,
    it is named in ``hubs``."""
    return {
        "version": JSON_FEED_VERSION,
        "title": mission.name,
        "description": mission.summary,
        "home_page_url": home_url,
        "feed_url": feed_url,
        **({"hubs": [{"type": "WebSub", "url": hub}]} if hub else {}),
        "language": "en",
        "items": [
            {
                "id": tag_uri("events", event.id),
                "url": url_of(event),
                "title": event.title,
                "summary": event.summary,
                "content_html": event_html(event),
                "content_text": event_text(event),
                # this item (the event as it now reads) was published when it last changed
                "date_published": changed(event).isoformat(),
                "date_modified": changed(event).isoformat(),
                "tags": list(dict.fromkeys([event.type, event.status, *event.tags])),
            }
            for event in events
        ],
    }


def atom(mission: Mission, events: Sequence[Event], feed_url: str, home_url: str,
         url_of: Callable[[Event], str], hub: str = "") -> bytes:
    """The Atom document; ``events`` come newest change first. With a WebSub ``hub``, it
    is a ``rel="hub"`` link."""
    # Imported on first use: feedgen and lxml are ~10 MB of every worker's memory, and
    # only Atom needs them.
    from feedgen.feed import FeedGenerator

    feed = FeedGenerator()
    feed.id(tag_uri("missions", mission.id))
    feed.title(mission.name)
    feed.subtitle(mission.summary)
    feed.link(href=feed_url, rel="self", type="application/atom+xml")
    feed.link(href=home_url, rel="alternate", type="text/html")
    if hub:
        feed.link(href=hub, rel="hub")
    feed.author(name="Mission Timeline API")
    feed.language("en")
    feed.updated(max((changed(event) for event in events), default=EPOCH))
    for event in events:
        entry = feed.add_entry(order="append")
        entry.id(tag_uri("events", event.id))
        entry.title(event.title)
        entry.updated(changed(event))
        entry.link(href=url_of(event), rel="alternate", type="text/html")  # the event's page
        entry.summary(event.summary)
        entry.content(event_html(event), type="html")
        for term in (event.type, event.status):
            entry.category(term=term)
    return feed.atom_str(pretty=True)
