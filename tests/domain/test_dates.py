"""The date model: precision, spans and EDTF."""

from __future__ import annotations

import datetime as dt

import pytest
from marshmallow import ValidationError

from schemas import DateSchema, dates


@pytest.mark.parametrize(("value", "precision", "first", "last"), [
    ("2030", "year", dt.date(2030, 1, 1), dt.date(2030, 12, 31)),
    ("2021-10", "month", dt.date(2021, 10, 1), dt.date(2021, 10, 31)),
    ("2024-02", "month", dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
    ("2021-10-05", "day", dt.date(2021, 10, 5), dt.date(2021, 10, 5)),
])
def test_a_date_covers_every_day_it_can_mean(
    value: str, precision: str, first: dt.date, last: dt.date
) -> None:
    assert dates.precision(value) == precision
    assert (dates.earliest(value), dates.latest(value)) == (first, last)


def test_edtf_marks_approximation_and_intervals() -> None:
    assert dates.edtf({"date": "2030", "approximate": True}) == "2030~"
    assert dates.edtf({"date": "2021-10-05"}, {"date": "2021-10-17"}) == "2021-10-05/2021-10-17"


@pytest.mark.parametrize(("data", "field"), [
    ({"date": "2021-02-29"}, "date"), ({"date": "21-10"}, "date"), ({"date": "2021-13"}, "date"),
    ({"date": "0000"}, "date"), ({"date": "2021-10", "precision": "day"}, "precision"),
    ({}, "date"), ({"date": "2021", "approximate": "perhaps"}, "approximate"),
])
def test_invalid_dates_are_rejected_by_field(data: dict, field: str) -> None:
    with pytest.raises(ValidationError) as error:
        DateSchema().load(data)
    assert field in error.value.messages


def test_loading_fills_in_precision_and_flags() -> None:
    assert DateSchema().load({"date": "2021-10"}) == {
        "date": "2021-10", "precision": "month", "approximate": False, "inferred": False,
    }


def test_day_after_stops_at_the_last_representable_day() -> None:
    assert dates.day_after(dt.date(2021, 10, 31)) == dt.date(2021, 11, 1)
    assert dates.day_after(dt.date(9999, 12, 31)) == dt.date(9999, 12, 31)
