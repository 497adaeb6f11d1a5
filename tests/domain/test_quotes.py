"""The dataset is true to its sources: every quote and every spelling occurs in them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from api.cli.seed import DEFAULT_DIR
from api.domain.quotes import normalise, occurs

SEEDS = Path(DEFAULT_DIR)


def _load(name: str) -> list[dict]:
    return yaml.safe_load((SEEDS / name).read_text(encoding="utf-8"))


SOURCES = {source["id"]: source for source in _load("sources.yaml")}
CITATIONS = [
    pytest.param(event["id"], citation, id=f"{event['id']}#{index}")
    for event in _load("events.yaml")
    for index, citation in enumerate(event["citations"])
]


def _article(articles: Path, source_id: str) -> str:
    return (articles / SOURCES[source_id]["file"]).read_text(encoding="utf-8")


def test_every_source_names_an_article(articles: Path) -> None:
    assert {source["file"] for source in SOURCES.values()} == {
        path.name for path in articles.glob("*.txt")
    }


@pytest.mark.parametrize(("event_id", "citation"), CITATIONS)
def test_quote_occurs_in_its_source(articles: Path, event_id: str, citation: dict) -> None:
    text = _article(articles, citation["source"])
    assert occurs(citation["quote"], text), (
        f"{event_id}: quote not found in {citation['source']}: {citation['quote']!r}"
    )


def test_quotes_are_at_most_one_sentence() -> None:
    long = [
        citation["quote"]
        for _, citation in (param.values for param in CITATIONS)
        if re.search(r"[.!?][\"'”\u2019]? [A-Z\"“]", normalise(citation["quote"]))
    ]
    assert long == []


def test_every_alias_is_a_spelling_a_source_uses(articles: Path) -> None:
    corpus = normalise(" ".join(p.read_text(encoding="utf-8") for p in articles.glob("*.txt")))
    for person in _load("people.yaml"):
        for alias in person["aliases"]:
            assert normalise(alias) in corpus, f"{person['id']}: alias {alias!r} in no article"


def test_quote_matching_forgives_only_whitespace(articles: Path) -> None:
    text = _article(articles, "000_75e248b910a8236c")
    assert occurs("a film called  “Вызов”\n(“The Challenge” in English)", text)
    # Straight quote marks where the article has typographic ones are not its words.
    assert not occurs('a film called "Вызов" ("The Challenge" in English)', text)
    assert not occurs("the Soviet Union's Salyut-class", text)
    assert occurs("the Soviet Union\u2019s Salyut-class", text)
    assert not occurs("a film called “Вызов” (“The Test” in English)", text)
