"""An event as a page for people (and search engines): what ``GET /v1/events/{id}`` answers
a browser (``Accept: text/html`` preferred), at the URL every feed, calendar and list
already links to.

The page shows what the JSON holds, for reading: the title and summary, the dates with how
they were reached, the people, every citation with its quote and a link to its article,
and the facts the sources disagree on; with schema.org JSON-LD (an ``Event`` whose
``subjectOf`` are the cited articles, each holding its quotes, and a ``Claim`` per disputed
version) and Open Graph tags.
"""

from __future__ import annotations

from typing import Any

from flask import Response, render_template, url_for

from api.extensions import db
from api.formats import explain, source_labels
from api.models import Event, Mission
from schemas import EventSchema
from schemas.dates import OPEN

SCHEMA_ORG = "https://schema.org"
# How each status reads as a schema.org EventStatusType.
EVENT_STATUS = {"occurred": "EventScheduled", "planned": "EventScheduled",
                "speculative": "EventScheduled", "cancelled": "EventCancelled"}


def _article(citation: dict[str, Any]) -> dict[str, Any]:
    """A cited source as a schema.org ``NewsArticle`` (its URL, else its record's)."""
    article: dict[str, Any] = {
        "@type": "NewsArticle",
        "@id": url_for("sources.Source", id=citation["source"], _external=True),
        "url": citation["source_url"] or url_for("sources.Source", id=citation["source"],
                                                 _external=True)}
    if citation["source_title"]:
        article["headline"] = citation["source_title"]
    if citation["source_publisher"]:
        article["publisher"] = {"@type": "Organization", "name": citation["source_publisher"]}
    return article


def json_ld(event: dict[str, Any]) -> dict[str, Any]:
    """The event as schema.org JSON-LD: the ``Event``, and a ``Claim`` for each version of
    each fact the sources disagree on."""
    url = event["links"]["self"]
    articles: dict[str, dict[str, Any]] = {}
    for citation in event["citations"]:
        article = articles.setdefault(citation["source"], _article(citation))
        article.setdefault("hasPart", []).append({"@type": "Quotation",
                                                  "text": citation["quote"]})
    node: dict[str, Any] = {
        "@type": "Event", "@id": url, "url": url, "name": event["title"],
        "description": event["summary"],
        "eventStatus": f"{SCHEMA_ORG}/{EVENT_STATUS[event['status']]}",
        "subjectOf": list(articles.values()),
    }
    for key, bound in (("startDate", event["start"]), ("endDate", event["end"])):
        if bound and bound["date"] != OPEN:  # an open bound: no date to give
            node[key] = bound["date"]
    if event["location"]:
        node["location"] = {"@type": "Place", "name": event["location"]}
    if event["people"]:
        node["attendee"] = [{"@type": "Person", "name": p["name"],
                             "url": url_for("people.Person", id=p["person"], _external=True)}
                            for p in event["people"]]
    claims = [{"@type": "Claim", "about": {"@id": url},
               "text": f"{claim['topic']}: {version['value']}",
               "appearance": [{"@id": url_for("sources.Source", id=quote["source"],
                                              _external=True)} for quote in version["quotes"]]}
              for claim in event["claims"] for version in claim["values"]]
    return {"@context": SCHEMA_ORG, "@graph": [node, *claims]}


def event_page(event: Event) -> Response:
    """The page of ``event`` (as ``get_event`` or ``event_as_of`` found it)."""
    data = EventSchema().dump(event)
    mission = db.session.get(Mission, event.mission_id)
    quoted = {q["source"] for claim in data["claims"] for version in claim["values"]
              for q in version["quotes"]}
    page = render_template("event.html", event=data, mission=mission, explain=explain,
                           labels=source_labels(event, also=quoted),
                           cited={c["source"] for c in data["citations"]},
                           json_ld=json_ld(data))
    return Response(page, mimetype="text/html", headers={"Vary": "Accept"})
