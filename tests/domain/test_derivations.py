"""The resolver (api/domain/derivations.py): each rule recomputes a date from its reference."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.domain.derivations import (
    DerivationError,
    disagreement,
    problems,
    resolve,
    stated_dates,
)
from schemas import dates
from schemas.basis import RULES, WEEKDAYS, WORDS, describe, missing_words


def basis(rule: str, **params: object) -> dict:
    out = {"source": "s", "quote": "q", "rule": rule, **params}
    if rule != "stated":
        out["reference"] = {"kind": "event", "id": "e"}
    return out


@pytest.mark.parametrize(("rule", "params", "reference", "expected"), [
    ("same-date", {}, "2021-10", "2021-10"),
    ("days-after", {"offset": 12}, "2021-10-05", "2021-10-17"),  # launch day + 12 days
    ("days-after", {"offset": -1}, "2021-10-05", "2021-10-04"),  # the day before
    ("weekday-of-week", {"weekday": "tuesday"}, "2021-10-05", "2021-10-05"),
    ("weekday-of-week", {"weekday": "monday"}, "2021-10-05", "2021-10-04"),
    ("weekday-of-week", {"weekday": "sunday"}, "2021-10-11", "2021-10-17"),  # later this week
    ("month-of", {}, "2021-10-05", "2021-10"),
    ("month-of-year", {"month": 4}, "2021-10-05", "2021-04"),  # "In April"
    ("year-of", {}, "2021-10", "2021"),
    ("years-before", {"offset": 1}, "2021-10-05", "2020"),  # "last year"
    ("years-after", {"offset": 1}, "2021-10", "2022"),  # "next year"
    ("anniversary", {"offset": 60}, "2021-04", "1961-04"),  # the 60th anniversary
    ("reported-by", {}, "2021-10-11", "2021-10-11"),  # no later than the report
])
def test_each_rule_computes_its_date(rule: str, params: dict, reference: str,
                                     expected: str) -> None:
    assert resolve(basis(rule, **params), reference) == expected


@pytest.mark.parametrize(("rule", "params", "reference"), [
    ("days-after", {"offset": 1}, "2021-10"),  # a day count needs a day
    ("weekday-of-week", {"weekday": "friday"}, "2021"),
    ("month-of", {}, "2021"),
    ("anniversary", {"offset": 1}, "2024-02-29"),  # no 29 February in 2023
    ("same-date", {}, dates.OPEN),
])
def test_a_rule_refuses_a_reference_too_vague_for_it(rule: str, params: dict,
                                                     reference: str) -> None:
    with pytest.raises(DerivationError):
        resolve(basis(rule, **params), reference)


@pytest.mark.parametrize(("quote", "found"), [
    ("A Russian film crew docked this Tuesday (05.10.2021) to", ["2021-10-05"]),
    ("Written by Joe Jackson on Oct 11, 2021", ["2021-10-11"]),
    ("date 2022-02-23", ["2022-02-23"]),
    ("in Moscow, Russia on June 29, 2017.", ["2017-06-29"]),
    ("as early as 2030", ["2030"]),
    ("one of 3,000 applicants", []),
    ("the 2017 feature film \u201cSalyut 7,\u201d based on the actual 1985 mission",
     ["2017", "1985"]),
])
def test_stated_dates_are_read_from_the_quote(quote: str, found: list[str]) -> None:
    assert stated_dates(quote) == found


def test_a_stated_date_needs_exactly_one_date_in_its_quote() -> None:
    assert resolve({"rule": "stated", "quote": "docked this Tuesday (05.10.2021)"},
                   None) == "2021-10-05"
    for quote in ("one of 3,000 applicants", "the 2017 film about the 1985 mission"):
        with pytest.raises(DerivationError):
            resolve({"rule": "stated", "quote": quote}, None)


def test_a_stored_date_that_disagrees_with_its_basis_is_reported() -> None:
    def lookup(kind: str, ident: str) -> str | None:
        return {("event", "soyuz-ms-19-launch"): "2021-10-05"}.get((kind, ident))

    returns = {"date": "2021-10-17", "basis": {
        "rule": "days-after", "offset": 12, "source": "s", "quote": "q",
        "reference": {"kind": "event", "id": "soyuz-ms-19-launch"}}}
    assert disagreement(returns, lookup) is None
    why = disagreement({**returns, "date": "2021-10-18"}, lookup)
    assert why == ("the basis gives '2021-10-17' (12 days after the start of event "
                   "'soyuz-ms-19-launch'), not '2021-10-18'")
    missing = {**returns, "basis": {**returns["basis"], "reference": {"kind": "event",
                                                                       "id": "nothing"}}}
    assert "does not exist" in disagreement(missing, lookup)
    # A stated date may be coarser than its quote, never finer or different.
    stated = {"rule": "stated", "source": "s", "quote": "on June 29, 2017"}
    assert disagreement({"date": "2017", "basis": stated}, lookup) is None
    assert disagreement({"date": "2017-07", "basis": stated}, lookup) is not None


@given(st.dates(dt.date(1, 1, 8), dt.date(9999, 12, 24)),
       st.sampled_from(WEEKDAYS))
def test_weekday_of_week_stays_in_the_references_week(day: dt.date, weekday: str) -> None:
    found = dt.date.fromisoformat(resolve(basis("weekday-of-week", weekday=weekday),
                                          day.isoformat()))
    assert found.isocalendar()[:2] == day.isocalendar()[:2]
    assert found.weekday() == WEEKDAYS.index(weekday)


@given(st.dates(dt.date(1000, 1, 1), dt.date(9000, 12, 31)), st.integers(-3000, 3000))
def test_days_after_undoes_itself(day: dt.date, offset: int) -> None:
    there = resolve(basis("days-after", offset=offset), day.isoformat())
    assert resolve(basis("days-after", offset=-offset), there) == day.isoformat()


def test_every_rule_is_described_and_checked_by_the_schema() -> None:
    from marshmallow import ValidationError

    from schemas import DerivationSchema

    for rule, (param, _) in RULES.items():
        params = {"offset": 1, "weekday": "monday", "month": 1}
        raw = basis(rule, **({param: params[param]} if param else {}))
        assert describe(DerivationSchema().load(raw))
        if param:
            with pytest.raises(ValidationError) as error:
                DerivationSchema().load({k: v for k, v in raw.items() if k != param})
            assert list(error.value.messages) == [param]
    with pytest.raises(ValidationError) as error:
        DerivationSchema().load({**basis("stated"), "reference": {"kind": "event", "id": "e"}})
    assert list(error.value.messages) == ["reference"]


@pytest.mark.parametrize(("rule", "params", "says", "lacks"), [
    ("same-date", {}, "docked this Tuesday (05.10.2021)", "underwent accelerated training"),
    ("same-date", {}, "a rocket that is on its way to the ISS", "tweeted the crew had taken off"),
    ("days-after", {"offset": 12}, "after twelve days onboard", "after their long stay"),
    ("days-after", {"offset": 12}, "spent 12 days on the ISS", "spent 2 days on the ISS"),
    ("days-after", {"offset": -1}, "said the day before the trip", "said on the trip"),
    ("days-after", {"offset": 1}, "set to fly later this week", "set to fly"),
    ("weekday-of-week", {"weekday": "tuesday"}, "on Tuesday morning", "in the morning"),
    ("weekday-of-week", {"weekday": "sunday"}, "later this week", "later"),
    ("month-of", {}, "scenes shot aboard the ISS this month", "scenes shot aboard the ISS"),
    ("month-of-year", {"month": 5}, "the actor in May", "the actor in March"),
    ("year-of", {}, "in recent months", "recently"),
    ("years-before", {"offset": 1}, "revealed its film project last year", "revealed it"),
    ("years-after", {"offset": 1}, "until the end of next year", "until the end"),
    ("anniversary", {"offset": 60}, "on the 60th anniversary", "on the anniversary"),
])
def test_a_rule_needs_the_words_it_rests_on(rule: str, params: dict, says: str,
                                            lacks: str) -> None:
    assert missing_words({**basis(rule, **params), "quote": says}) is None
    why = missing_words({**basis(rule, **params), "quote": lacks})
    assert why is not None and rule in why


def test_every_rule_names_its_words() -> None:
    assert set(WORDS) | {"stated", "reported-by"} == set(RULES)


def test_reported_by_rests_on_the_reporting_sources_own_words() -> None:
    report = {"rule": "reported-by", "source": "002", "quote": "q",
              "reference": {"kind": "source", "id": "002"}}
    assert missing_words(report) is None
    assert missing_words({**report, "source": "003"}) is not None
    assert missing_words({**report, "reference": {"kind": "event", "id": "002"}}) is not None
    # The date is the report's day, or coarser ("by October 2021"), never another day.
    def lookup(kind: str, ident: str) -> str | None:
        return "2021-10-11"

    assert disagreement({"date": "2021-10-11", "basis": report}, lookup) is None
    assert disagreement({"date": "2021-10", "basis": report}, lookup) is None
    assert disagreement({"date": "2021-10-12", "basis": report}, lookup) is not None


def test_a_basis_without_its_words_is_a_problem_of_its_quote() -> None:
    def lookup(kind: str, ident: str) -> str | None:
        return "2021-10-05"

    training = {"date": "2021-10-05", "basis": {**basis("same-date"),
                                                "quote": "underwent accelerated training"}}
    found = problems({"start": None, "end": training}, lookup)
    assert [field for field, _ in found] == ["end.basis.quote"]
