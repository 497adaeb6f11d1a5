"""What synthetic data is made of (``flask synth``, api/cli/synth.py): words drawn as in
real text, names, dates of every precision, and the rows of events with their citations
and people, each event's seed-file form dumped by its schema."""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Iterator
from typing import Any

import orjson

from api.domain.searchtext import document
from schemas import EventSchema, dates
from schemas.event import CITABLE_FIELDS, EVENT_TYPES
from schemas.seedform import seed_form

PREFIX = "synth-"
STATUSES = ("occurred",) * 6 + ("planned", "speculative", "cancelled")
WORDS = (
    "orbit", "launch", "capsule", "station", "crew", "camera", "film", "director", "actress",
    "cosmonaut", "rocket", "module", "docking", "hatch", "spacewalk", "landing", "steppe",
    "parachute", "training", "centrifuge", "studio", "scene", "rehearsal", "lighting", "lens",
    "footage", "editor", "premiere", "festival", "contract", "agency", "commander", "engineer",
    "surgeon", "medical", "emergency", "heart", "zero", "gravity", "weightless", "window",
    "earth", "moon", "mars", "satellite", "telescope", "antenna", "signal", "radio", "mission",
    "control", "schedule", "delay", "weather", "fuel", "booster", "stage", "fairing", "payload",
    "cargo", "supply", "experiment", "laboratory", "interview", "press", "statement",
    "agreement", "budget", "sponsor", "channel", "broadcast", "audience", "record", "history",
    "first", "symbolic", "rivalry", "competition", "cooperation", "partner", "flight", "return",
    "recovery", "helicopter", "team", "doctor", "nurse", "makeup", "costume", "script",
    "screenplay", "storyboard", "sound", "music", "score", "trailer", "poster", "release",
    "cinema", "theatre", "review", "critic"
)
# Word frequencies follow Zipf's law, as in real text: a few common words, many rare ones.
CUM_WEIGHTS = list(itertools.accumulate(1 / rank for rank in range(1, len(WORDS) + 1)))
FIRST = (
    "Anna", "Boris", "Daria", "Elena", "Fyodor", "Galina", "Igor", "Katya", "Lev", "Maria",
    "Nikolai", "Olga", "Pavel", "Roman", "Sofia", "Timur", "Vera", "Yulia", "Zoya", "Alexei"
)
LAST = (
    "Ivanova", "Petrov", "Sidorova", "Volkov", "Kuznetsova", "Popov", "Sokolova", "Lebedev",
    "Kozlova", "Novikov", "Morozova", "Orlov", "Pavlova", "Semenov", "Egorova", "Vinogradov",
    "Belova", "Tarasov", "Fedorova", "Zaitsev"
)
PLACES = (None, None, "Baikonur", "Star City", "ISS", "Moscow", "Kazakh steppe", "Houston")
ROLES = ("commander", "flight engineer", "director", "actress", "cameraman", "doctor")


def json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _date(rnd: random.Random) -> dict[str, Any]:
    year = rnd.randint(1957, 2040)
    kind = rnd.random()
    if kind < 0.2:
        text = f"{year:04d}"
    elif kind < 0.45:
        text = f"{year:04d}-{rnd.randint(1, 12):02d}"
    else:
        text = f"{year:04d}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
    # Synthetic dates are plain stated dates: a hedged or derived date needs a basis (a
    # quote, a rule, a reference) that random text cannot honestly give. Two draws stay, so
    # the generated data is otherwise what it was.
    rnd.random(), rnd.random()
    return {"date": text, "precision": dates.precision(text),
            "approximate": False, "inferred": False}


def stated(rnd: random.Random) -> dict[str, Any]:
    """A source's stated date: a day, as a byline gives it."""
    day = dates.earliest(_date(rnd)["date"]).isoformat()
    return {"date": day, "precision": "day", "approximate": False, "inferred": False}


def sentence(rnd: random.Random, low: int, high: int) -> str:
    text = " ".join(rnd.choices(WORDS, cum_weights=CUM_WEIGHTS, k=rnd.randint(low, high)))
    return text[0].upper() + text[1:]


def _span(rnd: random.Random) -> tuple[str, str | None, str, str]:
    """A start and maybe an end date: their JSON, and the earliest and latest day."""
    start, end = _date(rnd), None
    if rnd.random() < 0.2:
        later = _date(rnd)
        if dates.earliest(later["date"]) >= dates.latest(start["date"]):
            end = later
    return (json_text(start), json_text(end) if end else None,
            dates.earliest(start["date"]).isoformat(),
            dates.latest((end or start)["date"]).isoformat())


POOL = 20_000  # distinct values drawn from, so that generating a row stays cheap


def event_rows(rnd: random.Random, count: int, missions: int, sources: list[str],
            people: list[str],
            ) -> Iterator[tuple[tuple[Any, ...], list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """Rows of (event, citations, people), in the column order of api/cli/synth.py's
    ``COLUMNS``.

    Values come from pools of pre-generated dates and phrases; a summary joins two
    phrases, so summaries are (almost) all distinct. ``sources`` and ``people`` are the
    titles and names of the synthetic sources and people, for the search text.
    """
    spans = [_span(rnd) for _ in range(POOL)]
    titles = [sentence(rnd, 3, 8) for _ in range(POOL)]
    phrases = [sentence(rnd, 6, 15) for _ in range(POOL)]
    notes = [None] * 9 * POOL + [sentence(rnd, 5, 12) for _ in range(POOL)]
    tags = [json_text(rnd.sample(WORDS, rnd.randint(1, 3))) for _ in range(POOL)]
    supports = [json_text(rnd.sample(CITABLE_FIELDS, rnd.randint(1, 3))) for _ in range(POOL)]
    choice, random_, randrange = rnd.choice, rnd.random, rnd.randrange
    for n in range(count):
        event_id = f"{PREFIX}{n:07d}"
        summary = f"{choice(phrases)}, {choice(phrases).lower()}."
        citations = [
            (event_id, randrange(len(sources)), position,
             summary[: 40 + int(random_() * 80)], choice(supports))
            for position in range(1 + int(random_() * 3))
        ]
        crew = int(random_() * 2.5)
        persons = [(event_id, position, randrange(len(people)), choice(ROLES))
                   for position in range(crew)]
        if crew == 2 and persons[0][2] == persons[1][2]:
            persons.pop()
        mission, place, tag, note = n % missions, choice(PLACES), choice(tags), choice(notes)
        text = document({
            "note": note, "location": place, "tags": json.loads(tag),
            "people": [people[p[2]] for p in persons],
            "sources": list(dict.fromkeys(sources[c[1]] for c in citations)),
            "quotes": [c[3] for c in citations]})
        event = (
            event_id, f"{PREFIX}{mission:04d}", choice(EVENT_TYPES), choice(STATUSES),
            choice(titles), summary, *choice(spans), place, tag, note, text,
        )
        yield (event, [(e, f"{PREFIX}{s:04d}", *rest) for e, s, *rest in citations],
               [(e, pos, f"{PREFIX}{p:04d}", role) for e, pos, p, role in persons])


def event_state(event: tuple[Any, ...], citations: list[tuple[Any, ...]],
                persons: list[tuple[Any, ...]]) -> dict[str, Any]:
    """A generated event's seed-file form: its rows, as the model's attributes, dumped by
    ``EventSchema`` (what its first revision keeps)."""
    ident, mission, type_, status, title, summary, start, end, _, _, place, tags, note, _ = event
    return seed_form(EventSchema, {
        "id": ident, "mission_id": mission, "type": type_, "status": status, "title": title,
        "summary": summary, "start": orjson.loads(start), "end": end and orjson.loads(end),
        "location": place, "tags": orjson.loads(tags), "note": note, "claims": [],
        "people": [{"person_id": person, "role": role} for _, _, person, role in persons],
        "citations": [{"source_id": source, "quote": quote, "supports": orjson.loads(supports)}
                      for _, source, _, quote, supports in citations]})
