"""Property tests of the date model (schemas/dates.py) with hypothesis."""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
import random

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError
from support import SEEDED, assert_problem

from schemas import DateSchema, EventSchema, dates


@st.composite
def date_strings(draw: st.DrawFn) -> str:
    """A valid date at year, month or day precision."""
    year = draw(st.integers(1, 9999))
    precision = draw(st.sampled_from(dates.PRECISIONS))
    if precision == "year":
        return f"{year:04d}"
    month = draw(st.integers(1, 12))
    if precision == "month":
        return f"{year:04d}-{month:02d}"
    day = draw(st.integers(1, calendar.monthrange(year, month)[1]))
    return f"{year:04d}-{month:02d}-{day:02d}"


STATED = {"source": "s", "quote": "q", "rule": "stated"}
DERIVED = {"source": "s", "quote": "q", "rule": "year-of",
           "reference": {"kind": "source", "id": "s"}}


@st.composite
def date_objects(draw: st.DrawFn) -> dict:
    """A valid date object: inferred and approximate ones carry a basis, as they must."""
    raw = draw(st.fixed_dictionaries(
        {"date": date_strings()},
        optional={"approximate": st.booleans(), "inferred": st.booleans(),
                  "precision": st.none()},
    ))
    if raw.get("inferred"):
        raw["basis"] = DERIVED
    elif raw.get("approximate") or draw(st.booleans()):
        raw["basis"] = STATED
    return raw


def is_valid(text: str) -> bool:
    """An independent oracle: only the three ISO forms, in ASCII, naming a real day."""
    for fmt, size in (("%Y", 4), ("%Y-%m", 7), ("%Y-%m-%d", 10)):
        if len(text) == size and text.isascii():
            try:
                parsed = dt.datetime.strptime(text, fmt)
            except ValueError:
                continue
            canonical = f"{parsed.year:04d}-{parsed.month:02d}-{parsed.day:02d}"[:size]
            return canonical == text
    return False


@given(date_objects())
def test_valid_dates_round_trip(raw: dict) -> None:
    raw = {k: v for k, v in raw.items() if v is not None}
    loaded = DateSchema().load(raw)
    assert loaded["date"] == raw["date"]
    assert loaded["precision"] == dates.PRECISIONS[raw["date"].count("-")]
    assert loaded["approximate"] is raw.get("approximate", False)
    assert loaded["inferred"] is raw.get("inferred", False)
    assert loaded.get("basis") == raw.get("basis")
    dumped = DateSchema(exclude=["basis.explanation", "basis.reference.url"]).dump(loaded)
    assert DateSchema().load(dumped) == loaded  # output is valid input, unchanged
    suffix = "~" if loaded["approximate"] else ""
    assert dates.edtf(loaded) == raw["date"] + suffix


@given(date_strings(), st.booleans())
def test_an_inferred_or_approximate_date_without_a_basis_is_refused(text: str,
                                                                    inferred: bool) -> None:
    with pytest.raises(ValidationError) as error:
        DateSchema().load({"date": text, "inferred": inferred, "approximate": not inferred})
    assert list(error.value.messages) == ["basis"]


@given(date_strings())
def test_an_open_end_covers_every_later_day(text: str) -> None:
    start, end = {"date": text}, dates.BoundSchema().load({"date": dates.OPEN})
    assert end["precision"] == "open"
    assert dates.edtf(start, end) == f"{text}/.."
    assert dates.latest(end["date"]) == dt.date.max
    assert dates.known_span(start, end) == (dates.earliest(text), dates.latest(text))
    with pytest.raises(ValidationError) as error:
        DateSchema().load({"date": dates.OPEN})  # only an event's start or end may be open
    assert list(error.value.messages) == ["date"]


@given(date_strings())
def test_a_date_covers_exactly_the_days_it_can_mean(text: str) -> None:
    first, last = dates.earliest(text), dates.latest(text)
    assert first <= last
    assert first.isoformat().startswith(text) and last.isoformat().startswith(text)
    if last < dt.date.max:  # (day_after(9999-12-31) overflows: callers must mind year 9999)
        assert not dates.day_after(last).isoformat().startswith(text)
    if first > dt.date.min:
        assert not (first - dt.timedelta(days=1)).isoformat().startswith(text)
    assert dates.parse(text)[0] == first.year


@given(date_strings(), date_strings())
def test_intervals_edtf(start: str, end: str) -> None:
    text = dates.edtf({"date": start, "approximate": True}, {"date": end})
    assert text == f"{start}~/{end}"


@given(st.lists(st.tuples(date_strings(), st.text(min_size=1, max_size=5)), min_size=1,
                max_size=30, unique_by=lambda e: e[1]), st.randoms())
def test_ordering_by_earliest_day_is_total_and_stable(events: list, rnd: random.Random) -> None:
    def key(event: tuple[str, str]) -> tuple[dt.date, str]:
        return dates.earliest(event[0]), event[1]

    ordered = sorted(events, key=key)
    shuffled = events[:]
    rnd.shuffle(shuffled)
    assert sorted(shuffled, key=key) == ordered  # total: the input order never matters
    for a, b in itertools.pairwise(ordered):
        assert key(a) < key(b)  # strict: no two events tie
        assert dates.earliest(a[0]) <= dates.latest(b[0])  # never after one that follows it


@given(st.one_of(
    st.text(max_size=12),
    st.from_regex(r"\A[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?\Z"),  # right shape, maybe no such day
    st.from_regex(r"\A[0-9\u0660-\u0669]{4}-[0-9]{2}\n?\Z"),  # Arabic-Indic digits; newline
))
def test_invalid_dates_are_rejected_on_the_date_field(text: str) -> None:
    if is_valid(text):
        assert DateSchema().load({"date": text})["date"] == text
        return
    with pytest.raises(ValueError):
        dates.parse(text)
    with pytest.raises(ValidationError) as error:
        DateSchema().load({"date": text})
    assert list(error.value.messages) == ["date"]


@given(date_strings(), st.sampled_from(dates.PRECISIONS))
def test_a_stated_precision_must_match_the_date(text: str, precision: str) -> None:
    if precision == dates.precision(text):
        assert DateSchema().load({"date": text, "precision": precision})["precision"] == precision
    else:
        with pytest.raises(ValidationError) as error:
            DateSchema().load({"date": text, "precision": precision})
        assert list(error.value.messages) == ["precision"]


@given(st.text(min_size=1, max_size=10).filter(lambda t: not is_valid(t) and t != dates.OPEN))
def test_an_event_names_the_invalid_date_field(text: str) -> None:
    """(A merge patch is loaded in part and checked whole once merged: the whole load names
    the field.)"""
    with pytest.raises(ValidationError) as error:
        EventSchema().load({"start": {"date": text}})
    assert list(error.value.messages["start"]) == ["date"]


@pytest.fixture
def app(seeded_app: Flask) -> Flask:
    return seeded_app


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(min_size=1, max_size=12).filter(lambda t: not is_valid(t) and "\x00" not in t))
def test_the_api_names_the_invalid_date_parameter(app: Flask, text: str) -> None:
    response = app.test_client().get("/v1/events", query_string={"from": text})
    assert_problem(response, 400, "query parameter 'from'")


def test_pages_follow_the_total_order(app: Flask) -> None:
    client, seen, url = app.test_client(), [], "/v1/events?limit=4"
    while url:
        page = client.get(url).get_json()
        seen += page["items"]
        url = page["next"]
    keys = [(dates.earliest(e["start"]["date"]), e["start"].get("order", 0), e["id"])
            for e in seen]
    assert keys == sorted(keys) and len(set(keys)) == len(keys) == SEEDED["events"]
