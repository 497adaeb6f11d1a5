"""Ids in filters: checked, resolved from any recorded spelling, and typos answered with
the nearest valid ids ("did you mean yulia-peresild?")."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select

from api.domain.errors import Invalid
from api.domain.searchtext import person_names
from api.extensions import db
from api.models import Mission, Person, Source

SUGGESTIONS = 3


def normal(text: str) -> str:
    """A spelling reduced for comparison: no accents, lowercase, words joined by ``-``."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return re.sub(r"[\W_]+", "-", plain.casefold()).strip("-")


def _spellings(model: type[db.Model]) -> dict[str, set[str]]:
    """Every normalised name of a record of ``model`` (id, name or title, a person's aliases
    and each word of them) and the ids it names."""
    out: dict[str, set[str]] = defaultdict(set)
    if model is Person:
        for id, name, aliases in db.session.execute(select(Person.id, Person.name,
                                                           Person.aliases)):
            out[id].add(id)
            for spelling in person_names(name, aliases):
                out[normal(spelling)].add(id)
                for word in normal(spelling).split("-"):  # a first or last name alone
                    out[word].add(id)
        return out
    label = Mission.name if model is Mission else Source.title
    for id, name in db.session.execute(select(model.id, label)):
        out[id].add(id)
        if name:
            out[normal(name)].add(id)
    return out


def resolve(model: type[db.Model], values: Sequence[str], arg: str) -> list[str]:
    """The ids ``values`` name (``-`` prefixes kept): each an id, or for people any
    recorded spelling; otherwise a 400 on ``arg`` suggesting the nearest ids."""
    bare = {value.removeprefix("-") for value in values}
    known = set(db.session.scalars(select(model.id).where(model.id.in_(bare))))
    if bare <= known:
        return list(values)
    spellings = _spellings(model)
    resolved = []
    for value in values:
        sign, name = ("-", value[1:]) if value.startswith("-") else ("", value)
        if name in known:
            resolved.append(value)
            continue
        ids = spellings.get(normal(name), set()) if model is Person else set()
        if len(ids) == 1:
            resolved.append(sign + ids.pop())
            continue
        if ids:
            hint = f"it names several: {', '.join(sorted(ids))}."
        else:
            close = difflib.get_close_matches(normal(name), list(spellings), SUGGESTIONS * 3,
                                              cutoff=0.6)
            nearest = list(dict.fromkeys(i for c in close for i in sorted(spellings[c])))
            hint = (f"did you mean {' or '.join(nearest[:SUGGESTIONS])}?" if nearest
                    else f"see /v1/{model.__tablename__} for the valid ids.")
        raise Invalid({"query": {arg: [f"No {arg} '{name}': {hint}"]}})
    return resolved
