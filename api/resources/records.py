"""People and sources are one shape of resource: a list, a create, a detail with the events
that involve the record, a merge-patch and a delete refused while events still use it.

``register`` adds those routes to a blueprint once per kind of record, so both kinds
behave (and are documented) alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema
from sqlalchemy import select

from api.domain.store import cited
from api.extensions import db
from api.http import writes
from api.http.auth import require
from api.http.errors import get_or_404
from api.queries import first_events
from api.queries.pagination import listing
from api.resources import memento
from schemas import AsOfQuerySchema, PageQuerySchema, page_of


@dataclass(frozen=True)
class Kind:
    """What differs between people and sources; the rest follows from it (the endpoints
    are named after the blueprint and the model: ``people.People``, ``people.Person``)."""

    model: type[db.Model]
    schemas: tuple[type[Schema], type[Schema], type[Schema]]  # record, detail, patch
    noun: str  # "person": in messages and summaries
    # Event's relationship to the rows referring to a record, their column holding its id,
    # and what they are called: (Event.people, EventPerson.person_id, "events").
    used_by: tuple[Any, Any, str]
    events_phrase: str  # "the events involving them"
    # The records whose date bases refer to record ``id`` (a source's written date).
    referred: Callable[[str], list[str]] = lambda _id: []


def summary(text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a view its docstring (the OpenAPI summary) before other decorators wrap it."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        view.__doc__ = text
        return view

    return decorator


def register(blp: Blueprint, kind: Kind) -> Callable[[str], Any]:
    """Add the collection and item routes of ``kind`` to ``blp``; returns the function
    loading one record as its GET shows it (404 if there is none)."""
    model, noun = kind.model, kind.noun
    schema, detail_schema, patch_schema = kind.schemas
    relationship, column, users = kind.used_by
    item = model.__name__
    endpoint = f"{blp.name}.{item}"

    def detail(id: str) -> Any:
        record = get_or_404(model, id, f"No {noun} with id '{id}'.")
        record.events = first_events(relationship.any(column == id))
        return record

    @blp.route("", endpoint=blp.name.title())
    class Collection(MethodView):
        @blp.arguments(PageQuerySchema(), location="query")
        @blp.response(200, page_of(schema))
        @summary(f"List {blp.name}")
        def get(self, args: dict[str, Any]) -> Any:
            return listing(select(model), (model.id,), args)

        @require("write")
        @writes.body(blp, schema)
        @blp.response(201, detail_schema)
        @summary(f"Create a {noun} (curators)")
        def post(self, data: dict[str, Any]) -> Any:
            record = writes.create(model, data)
            return writes.answer(detail(record.id), detail_schema(), 201, endpoint)

    @blp.route("/<string:id>", endpoint=item)
    class Item(MethodView):
        @memento.timegate(blp, model)
        @blp.arguments(AsOfQuerySchema(), location="query")
        @blp.response(200, detail_schema, headers=memento.MEMENTO_HEADERS)
        @blp.alt_response(410, description=f"The {noun} was deleted (or had been, at "
                          "`as_of`).")
        @summary(f"Get a {noun}, with {kind.events_phrase}\n\nWith `as_of`, the {noun} "
                 "as its revision history had it then (its own fields; no `events`): a "
                 "memento. With `Accept-Datetime`, a redirect to it; `/timemap` lists "
                 "every version.")
        def get(self, args: dict[str, Any], id: str) -> Any:
            if "as_of" in args:
                return memento.as_of(model, id, args["as_of"])
            return detail(id)

        @require("write")
        @writes.body(blp, patch_schema, writes.MERGE_PATCH)
        @blp.response(200, detail_schema)
        @summary(f"Change a {noun} (curators; needs If-Match)")
        def patch(self, patch: dict[str, Any], id: str) -> Any:
            writes.change(detail(id), schema, detail_schema(), patch)
            return writes.answer(detail(id), detail_schema(), 200, endpoint)

        @require("write")
        @blp.response(204)
        @summary(f"Delete a {noun} no {users[:-1]} uses (curators; needs If-Match)")
        def delete(self, id: str) -> None:
            used = users if cited(column, id) else None
            if not used and (referring := kind.referred(id)):
                used = f"the date bases of {', '.join(referring)}"
            writes.remove(detail(id), detail_schema(), used)

    return detail
