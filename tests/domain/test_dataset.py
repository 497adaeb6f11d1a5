"""The dataset audited by machine, on every run: dates follow from their bases, `supports`
claims only what a quote gives, no wording is copied from an article, every spelling of a
person the articles use is an alias.

These read seeds/ and the articles directly (no database); tests/test_quotes.py proves the
citations' quotes verbatim and at most one sentence.
"""

from __future__ import annotations

import difflib
import itertools
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from api.cli.seed import DEFAULT_DIR
from api.domain.derivations import disagreement, stated_dates
from api.domain.quotes import normalise, occurs
from schemas import dates
from schemas.basis import missing_words

SEEDS = Path(DEFAULT_DIR)


def _load(name: str) -> list[dict[str, Any]]:
    return yaml.safe_load((SEEDS / name).read_text(encoding="utf-8"))


EVENTS = {event["id"]: event for event in _load("events.yaml")}
SOURCES = {source["id"]: source for source in _load("sources.yaml")}
PEOPLE = {person["id"]: person for person in _load("people.yaml")}
MISSIONS = _load("missions.yaml")
DATES = [(kind, record["id"], name, record[name])
         for kind, records, names in (("event", EVENTS, ("start", "end")),
                                      ("source", SOURCES, ("stated_date", "written_date")))
         for record in records.values() for name in names
         if record[name] and record[name]["date"] != dates.OPEN]
RUN = 8  # words in a row that would count as copying an article
WORD = re.compile(r"[^\W_]+")


def lookup(kind: str, ident: str) -> str | None:
    """A basis's reference date, as the seed files give it."""
    if kind == "event":
        return EVENTS[ident]["start"]["date"] if ident in EVENTS else None
    written = SOURCES.get(ident, {}).get("written_date")
    return written["date"] if written else None


@pytest.fixture(scope="module")
def texts(articles: Path) -> dict[str, str]:
    return {ident: (articles / source["file"]).read_text(encoding="utf-8")
            for ident, source in SOURCES.items()}


def words(text: str) -> list[str]:
    return WORD.findall(normalise(text).lower())


# --- Dates ------------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "ident", "name", "date"), DATES,
                         ids=[f"{kind}:{ident}.{name}" for kind, ident, name, _ in DATES])
def test_every_date_follows_from_its_basis(kind: str, ident: str, name: str, date: dict) -> None:
    assert date.get("basis"), f"{ident}.{name} has no basis"
    assert disagreement(date, lookup) is None, f"{ident}.{name}: {disagreement(date, lookup)}"


@pytest.mark.parametrize(("kind", "ident", "name", "date"), DATES,
                         ids=[f"{kind}:{ident}.{name}" for kind, ident, name, _ in DATES])
def test_every_basis_quote_holds_the_words_of_its_rule(kind: str, ident: str, name: str,
                                                      date: dict) -> None:
    """A rule is what its quote says: ``same-date`` only where the quote makes the two
    coincide, ``days-after`` only with its number of days, and so on (schemas/basis.py)."""
    assert missing_words(date["basis"]) is None, f"{ident}.{name}: {date['basis']['quote']!r}"


def test_every_derivation_ends_in_a_stated_date() -> None:
    """No date rests, through its references, on itself: each chain reaches a quote."""
    def follow(kind: str, ident: str, seen: tuple[str, ...]) -> None:
        key = f"{kind}:{ident}"
        assert key not in seen, f"a circular derivation: {' -> '.join((*seen, key))}"
        date = EVENTS[ident]["start"] if kind == "event" else SOURCES[ident]["written_date"]
        if date["basis"]["rule"] != "stated":
            reference = date["basis"]["reference"]
            follow(reference["kind"], reference["id"], (*seen, key))

    for kind, ident, _, date in DATES:
        if date["basis"]["rule"] != "stated":
            follow(date["basis"]["reference"]["kind"], date["basis"]["reference"]["id"],
                   (f"{kind}:{ident}",))


def test_a_basis_quote_occurs_in_its_source(texts: dict[str, str]) -> None:
    for _, ident, name, date in DATES:
        basis = date["basis"]
        assert occurs(basis["quote"], texts[basis["source"]]), f"{ident}.{name}"


@pytest.mark.parametrize("event", EVENTS.values(), ids=list(EVENTS))
def test_only_the_quote_a_date_rests_on_supports_it(event: dict) -> None:
    """A citation supports `start` or `end` only if it holds that date's basis quote, or
    states the date itself; an open bound is supported by nothing."""
    for name in ("start", "end"):
        date = event[name]
        supporting = [c for c in event["citations"] if name in c["supports"]]
        if date is None or date["date"] == dates.OPEN:
            assert not supporting, f"{name} is open or absent, yet cited"
            continue
        basis = date["basis"]
        assert supporting
        for citation in supporting:
            holds = citation["source"] == basis["source"] and occurs(basis["quote"],
                                                                     citation["quote"])
            states = any(found == date["date"] or found.startswith(date["date"] + "-")
                         for found in stated_dates(citation["quote"]))
            assert holds or states, f"{name}: {citation['quote']!r}"


def _names(person: dict) -> list[str]:
    """Every way to name a person: full names and their last words (surnames)."""
    full = [person["name"], *person["aliases"]]
    return full + [name.split()[-1] for name in full]


def _names_someone(quote: str, people: list[str]) -> set[str]:
    text = f" {' '.join(words(quote))} "
    return {ident for ident in people
            if any(f" {' '.join(words(name))} " in text for name in _names(PEOPLE[ident]))}


@pytest.mark.parametrize("event", EVENTS.values(), ids=list(EVENTS))
def test_people_are_supported_by_quotes_that_name_them(event: dict) -> None:
    people = [p["person"] for p in event["people"]]
    supporting = [c for c in event["citations"] if "people" in c["supports"]]
    named: set[str] = set()
    for citation in supporting:
        found = _names_someone(citation["quote"], people)
        assert found, f"names none of the event's people: {citation['quote']!r}"
        named |= found
    assert named == set(people), f"named by no citation: {set(people) - named}"


ABBREVIATIONS = {"iss": ["international", "space", "station"]}
SMALL = {"the", "and", "last", "segment"}


@pytest.mark.parametrize("event", EVENTS.values(), ids=list(EVENTS))
def test_a_location_is_supported_by_quotes_that_name_it(event: dict) -> None:
    place = {w for w in words(event["location"] or "") if len(w) > 3 and w not in SMALL}
    for citation in (c for c in event["citations"] if "location" in c["supports"]):
        said = set(words(citation["quote"]))
        said |= {w for abbreviation, full in ABBREVIATIONS.items() if abbreviation in said
                 for w in full}
        assert place & said, f"{event['location']!r} is not in {citation['quote']!r}"


# --- Claims: each version's quotes lie within the record's own citations or text ------

def test_every_claim_quote_lies_in_a_citation_or_its_source(texts: dict[str, str]) -> None:
    for event in EVENTS.values():
        for claim in event["claims"]:
            for value in claim["values"]:
                for ref in value["quotes"]:
                    assert any(c["source"] == ref["source"] and occurs(ref["quote"], c["quote"])
                               for c in event["citations"]), (event["id"], ref)
    for source in SOURCES.values():
        for claim in source["claims"]:
            for ref in (r for value in claim["values"] for r in value["quotes"]):
                assert ref["source"] == source["id"] and occurs(ref["quote"],
                                                                texts[source["id"]])


# --- Our own words ------------------------------------------------------------------------

def _prose() -> list[tuple[str, str]]:
    """Every title, summary and note we wrote, as ``(where, text)``."""
    out = [(f"missions/{m['id']}.{f}", m[f]) for m in MISSIONS for f in ("name", "summary")]
    out += [(f"events/{e['id']}.{f}", e[f]) for e in EVENTS.values()
            for f in ("title", "summary", "note") if e[f]]
    out += [(f"sources/{s['id']}.note", s["note"]) for s in SOURCES.values() if s["note"]]
    out += [(f"sources/{s['id']}.title", s["title"]) for s in SOURCES.values()
            if s["title_supplied"]]
    return out


def test_no_title_summary_or_note_copies_eight_words_of_an_article(
    texts: dict[str, str]
) -> None:
    runs: dict[tuple[str, ...], str] = {}
    for ident, text in texts.items():
        article = words(text)
        runs |= {tuple(article[i:i + RUN]): ident for i in range(len(article) - RUN + 1)}
    copied = [(where, " ".join(run), runs[run]) for where, text in _prose()
              for run in (tuple(words(text)[i:i + RUN]) for i in range(len(words(text))))
              if len(run) == RUN and run in runs]
    assert copied == []


def test_a_source_title_is_its_headline_or_says_the_curators_gave_it(
    texts: dict[str, str]
) -> None:
    for ident, source in SOURCES.items():
        if source["title_supplied"]:
            assert "supplied by the curators" in source["title"]
        else:
            headline = next(line for line in texts[ident].splitlines()
                            if len(line.split()) > 3 and line.strip() != "Find Us"
                            and not line.startswith("Written by"))
            assert normalise(source["title"]) == normalise(headline), ident


def test_a_source_date_rests_on_its_own_words() -> None:
    for source in SOURCES.values():
        for name in ("stated_date", "written_date"):
            if source[name]:
                assert source[name]["basis"]["source"] == source["id"]


# --- People ------------------------------------------------------------------------------

def _capitalised(text: str) -> list[str]:
    tokens = re.findall(r"[^\W\d_][\w'-]*", normalise(text))
    return [re.sub(r"'s$", "", token) for token in tokens]


def test_every_spelling_of_a_person_in_the_articles_is_an_alias(
    texts: dict[str, str]
) -> None:
    """A name in an article close to a person's (by letters) is their name or an alias."""
    known = {ident: {n.lower() for n in _names(p)} for ident, p in PEOPLE.items()}
    missing = set()
    for text in texts.values():
        tokens = _capitalised(text)
        candidates = [t for t in tokens if t[:1].isupper() and len(t) > 3]
        candidates += [f"{a} {b}" for a, b in itertools.pairwise(tokens)
                       if a[:1].isupper() and b[:1].isupper()]
        for candidate in candidates:
            for ident, names in known.items():
                close = any(difflib.SequenceMatcher(None, candidate.lower(), name).ratio() >= 0.8
                            for name in names if len(name) > 3 and
                            name.count(" ") == candidate.count(" "))
                if close and candidate.lower() not in names:
                    missing.add((ident, candidate))
    assert missing == set()
