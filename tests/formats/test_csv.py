"""The CSV export: a row per event that survives a spreadsheet's round trip, and no cell
a spreadsheet would run as a formula."""

from __future__ import annotations

from flask import Flask
from formats_common import CSV, citation_counts, csv_rows, event_ids, events_where, hostile_event

from api.formats.table import row


def test_csv_has_a_row_per_event_with_its_citation_count(seeded_app: Flask) -> None:
    client = seeded_app.test_client()  # of the shared seeded app: this file reads only
    rows = csv_rows(client)
    assert [r["id"] for r in rows] == event_ids(seeded_app)
    counts = citation_counts(seeded_app)
    assert all(int(r["citations"]) == counts[r["id"]] for r in rows)
    events = {e.id: e for e in events_where(seeded_app)}
    for r in rows:  # commas, quotes and non-ASCII text survive the round trip
        assert r["summary"] == events[r["id"]].summary
        assert r["title"] == events[r["id"]].title
    launch = next(r for r in rows if r["id"] == "soyuz-ms-19-launch")
    assert launch["location"] == "Baikonur Cosmodrome, Kazakhstan"
    assert launch["date"] == "5 October 2021 (date inferred)" and launch["edtf"] == "2021-10-05"
    plan = next(r for r in rows if r["id"] == "china-crewed-moon-landing-plan")
    assert (plan["start"], plan["end"], plan["edtf"]) == ("2030", "..", "2030/..")
    newest = csv_rows(client, CSV + "?sort=-start")
    assert [r["id"] for r in newest] == list(reversed(event_ids(seeded_app)))
    assert client.get(CSV).headers["Content-Disposition"] == 'attachment; filename="events.csv"'


def test_csv_cells_never_start_a_formula() -> None:
    cells = row(hostile_event(), "http://localhost/v1/events/hostile")
    assert cells[4] == "'" + hostile_event().title  # shown as text by spreadsheets
    assert not any(isinstance(c, str) and c.startswith(("=", "+", "-", "@")) for c in cells)
