"""Within a day, events come in the order they happened, from the data (their start's
``order``), never from their ids: on 5 October 2021 the launch, then Roscosmos's report of
reaching orbit (003 has it while the crew is still on its way), then the docking about
three hours after lift-off, then the shoot it opened. Their ids put the launch last.
And a bound no source gives is shown as unknown in every format, never as a span."""

from __future__ import annotations

import csv
import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from formats_common import CALENDAR, CSV, EMBED, TIMELINE, calendar_events, next_link

HAPPENED = ["soyuz-ms-19-launch", "roscosmos-confirms-orbit", "soyuz-ms-19-docking",
            "iss-filming"]
DAY = {"from": "2021-10-05", "to": "2021-10-05"}


@pytest.fixture
def app(seeded_app: Flask) -> Flask:
    return seeded_app


def in_order(ids: list[str]) -> list[str]:
    """The 5 October events of ``ids``, as listed."""
    return [ident for ident in ids if ident in HAPPENED]


def test_the_ids_alone_would_put_the_launch_last() -> None:
    assert sorted(HAPPENED)[-1] == "soyuz-ms-19-launch"


def test_the_event_list_follows_what_happened_across_pages(client: FlaskClient) -> None:
    whole = client.get("/v1/events", query_string=DAY).json["items"]
    assert in_order([e["id"] for e in whole]) == HAPPENED
    seen, url = [], "/v1/events?from=2021-10-05&to=2021-10-05&limit=1"
    while url:  # one event a page: the cursor carries the order within the day
        response = client.get(url)
        seen += [e["id"] for e in response.json["items"]]
        url = response.json.get("next")
    assert in_order(seen) == HAPPENED
    backwards = client.get("/v1/events", query_string={**DAY, "sort": "-start"}).json["items"]
    assert in_order([e["id"] for e in backwards]) == HAPPENED[::-1]


def test_timelinejs_calendar_csv_and_the_embed_follow_what_happened(
    client: FlaskClient,
) -> None:
    slides = [s["unique_id"] for s in client.get(TIMELINE).json["events"]]
    assert in_order(slides) == HAPPENED
    uids = [str(v["UID"]).split("@")[0] for v in calendar_events(client, CALENDAR)]
    assert in_order(uids) == HAPPENED
    table = client.get(CSV, query_string=DAY).data.decode("utf-8-sig")
    assert in_order([row["id"] for row in csv.DictReader(io.StringIO(table))]) == HAPPENED
    page = client.get(EMBED).get_data(as_text=True)
    data_url = re.search(r'data-url="([^"]+)"', page).group(1).replace("&amp;", "&")
    embedded, url = [], data_url
    while url:
        response = client.get(url)
        embedded += [s["unique_id"] for s in response.json["events"]]
        url = next_link(response.headers.get("Link"))
    assert in_order(embedded) == HAPPENED


def test_an_unknown_start_is_unknown_in_every_format(client: FlaskClient) -> None:
    """No source says when the training began: JSON has an open start and the EDTF an open
    interval; TimelineJS and the calendar show a single day ("by" it), never a bar."""
    training = client.get("/v1/events/crew-training").json
    assert training["start"] == {"date": "..", "precision": "open", "approximate": False,
                                 "inferred": False}
    assert training["edtf"] == "../2021-10-05"
    assert training["end"]["basis"]["rule"] == "reported-by"
    slide = next(s for s in client.get(TIMELINE).json["events"]
                 if s["unique_id"] == "crew-training")
    assert "end_date" not in slide and slide["display_date"].startswith("by 5 October 2021")
    vevent = next(v for v in calendar_events(client) if str(v["UID"]).startswith("crew-"))
    assert (vevent.decoded("DTEND") - vevent.decoded("DTSTART")).days == 1
    assert str(vevent["SUMMARY"]).endswith("(by 5 October 2021)")
    rows = csv.DictReader(io.StringIO(client.get(CSV).data.decode("utf-8-sig")))
    assert next(r for r in rows if r["id"] == "crew-training")["edtf"] == "../2021-10-05"
    made = client.get("/v1/events/the-challenge-co-production").json
    assert made["edtf"] == "[..2021-10-11]"  # known only as no later than 002's report
