"""The TimelineJS document: a slide per event at its real precision, display dates that
tell the truth, how each date was reached, groups and citations."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from formats_common import TIMELINE, TIMELINE_ALL, TextOf, citation_counts, event_ids, events_where


@pytest.fixture
def app(seeded_app: Flask) -> Flask:
    return seeded_app


def test_timelinejs_has_a_slide_per_event_at_its_real_precision(
    client: FlaskClient, app: Flask
) -> None:
    doc = client.get(TIMELINE_ALL).json
    assert doc["title"]["text"]["headline"].startswith("The Challenge (Vyzov)")
    slides = {slide["unique_id"]: slide for slide in doc["events"]}
    assert list(slides) == event_ids(app)  # every event once, in timeline order
    assert slides["first-moon-steps-1969"]["start_date"] == {"year": 1969}
    assert slides["gagarin-first-human-spaceflight"]["start_date"] == {"year": 1961, "month": 4}
    launch = slides["soyuz-ms-19-launch"]
    assert launch["start_date"] == {"year": 2021, "month": 10, "day": 5}
    assert "end_date" not in launch
    assert slides["iss-filming"]["end_date"] == {"year": 2021, "month": 10, "day": 17}
    work = slides["post-production"]  # open start: the slide sits at its known end
    assert work["start_date"] == {"year": 2022} and "end_date" not in work
    plan = slides["china-crewed-moon-landing-plan"]  # as early as 2030: no end on the slide
    assert plan["start_date"] == {"year": 2030} and "end_date" not in plan
    made = slides["the-challenge-co-production"]  # known only as "by" the day reported
    assert made["start_date"] == {"year": 2021, "month": 10, "day": 11}
    # An unknown start is no bar: training sits at the day it was reported done.
    training = slides["crew-training"]
    assert training["start_date"] == {"year": 2021, "month": 10, "day": 5}
    assert "end_date" not in training


def test_timelinejs_display_date_tells_the_truth(client: FlaskClient) -> None:
    slides = {s["unique_id"]: s for s in client.get(TIMELINE_ALL).json["events"]}
    assert slides["china-crewed-moon-landing-plan"]["display_date"] == "2030 onwards (planned)"
    assert slides["moon-film-idea"]["display_date"] == (
        "by October 2021 (speculative, date inferred)")
    assert slides["china-crewed-mars-mission-plan"]["display_date"] == "2033 (planned)"
    assert slides["soyuz-ms-19-docking"]["display_date"] == "5 October 2021"
    assert slides["soyuz-ms-19-launch"]["display_date"] == "5 October 2021 (date inferred)"
    assert slides["gagarin-first-human-spaceflight"]["display_date"] == "April 1961 (date inferred)"
    assert slides["crew-training"]["display_date"] == "by 5 October 2021 (date inferred)"
    assert slides["post-production"]["display_date"] == "until 2022 (planned, date inferred)"
    assert slides["the-challenge-co-production"]["display_date"] == (
        "by 11 October 2021 (date inferred)")


def test_timelinejs_says_how_each_date_was_reached(client: FlaskClient) -> None:
    slides = {s["unique_id"]: s for s in client.get(TIMELINE_ALL).json["events"]}
    launch = TextOf.parse(slides["soyuz-ms-19-launch"]["text"]["text"]).text
    euronews = ("Russian actress and director en route to ISS for first movie shot in space, "
                "Euronews")
    assert (f"Start 5 October 2021: inferred as the Tuesday of the week of the day {euronews} "
            "was written, from \N{LEFT DOUBLE QUOTATION MARK}taking off on Tuesday morning"
            f"\N{RIGHT DOUBLE QUOTATION MARK} ({euronews}).") in launch
    docking = TextOf.parse(slides["soyuz-ms-19-docking"]["text"]["text"]).text
    assert "Start 5 October 2021: stated, from" in docking
    training = TextOf.parse(slides["crew-training"]["text"]["text"]).text
    assert "Start: open \N{EM DASH} no source gives a bound." in training
    assert ("End 5 October 2021: inferred as no later than the day "
            f"{euronews} was written, which reports it") in training


def test_timelinejs_groups_and_cites(client: FlaskClient, app: Flask) -> None:
    slides = client.get(TIMELINE).json["events"]
    statuses = {e.id: e.status for e in events_where(app)}
    assert all(slide["group"] == statuses[slide["unique_id"]] for slide in slides)
    by_type = client.get(TIMELINE + "?group=type").json["events"]
    assert {s["unique_id"]: s["group"] for s in by_type}["soyuz-ms-19-launch"] == "launch"
    launch = next(s for s in slides if s["unique_id"] == "soyuz-ms-19-launch")
    text = TextOf.parse(launch["text"]["text"])
    assert "lifted off from Baikonur" in text.text
    assert len(text.tags["q"]) == citation_counts(app)["soyuz-ms-19-launch"]
    assert "Euronews" in text.text  # the publisher of a cited source
