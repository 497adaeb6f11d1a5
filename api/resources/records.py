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
from sqlalchemy import ColumnElement, select

from api import queries
from api.extensions import db
from api.http import writes
from api.http.auth import require
from api.http.errors import get_or_404
from api.queries import first_events
from api.queries.pagination import paginate
from schemas import PageQuerySchema, page_of


@dataclass(frozen=True)
class Kind:
    """What differs between people and sources."""

    blp: Blueprint
    model: type[db.Model]
    schema: type[Schema]
    detail_schema: type[Schema]
    patch_schema: type[Schema]
    noun: str  # "person": in messages and summaries
    collection: str  # endpoint names: "People" and "Person"
    item: str
    involving: Callable[[str], ColumnElement[bool]]  # the events showing record ``id``
    events_phrase: str  # "the events involving them"
    used_by: tuple[Any, str]  # (the column referring to a record, what refers: "events")
    # The records whose date bases refer to record ``id`` (a source's written date).
    referred: Callable[[str], list[str]] = lambda _id: []


def summary(text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a view its docstring (the OpenAPI summary) before other decorators wrap it."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        view.__doc__ = text
        return view

    return decorator


def register(kind: Kind) -> Callable[[str], Any]:
    """Add the collection and item routes of ``kind`` to its blueprint; returns the
    function loading one record as its GET shows it (404 if there is none)."""
    blp, model, noun = kind.blp, kind.model, kind.noun
    endpoint = f"{blp.name}.{kind.item}"

    def detail(id: str) -> Any:
        record = get_or_404(model, id, f"No {noun} with id '{id}'.")
        record.events = first_events(kind.involving(id))
        return record

    @blp.route("", endpoint=kind.collection)
    class Collection(MethodView):
        @blp.arguments(PageQuerySchema(), location="query")
        @blp.response(200, page_of(kind.schema))
        @summary(f"List {blp.name}")
        def get(self, args: dict[str, Any]) -> Any:
            _, page, headers = paginate(select(model), (model.id,), args)
            return page, 200, headers

        @require("write")
        @writes.body(blp, kind.schema)
        @blp.response(201, kind.detail_schema)
        @summary(f"Create a {noun} (curators)")
        def post(self, data: dict[str, Any]) -> Any:
            record = writes.create(model, data)
            return writes.answer(detail(record.id), kind.detail_schema(), 201, endpoint)

    @blp.route("/<string:id>", endpoint=kind.item)
    class Item(MethodView):
        @blp.response(200, kind.detail_schema)
        @summary(f"Get a {noun}, with {kind.events_phrase}")
        def get(self, id: str) -> Any:
            return detail(id)

        @require("write")
        @writes.body(blp, kind.patch_schema, writes.MERGE_PATCH)
        @blp.response(200, kind.detail_schema)
        @summary(f"Change a {noun} (curators; needs If-Match)")
        def patch(self, patch: dict[str, Any], id: str) -> Any:
            writes.change(detail(id), kind.schema, kind.detail_schema(), patch)
            return writes.answer(detail(id), kind.detail_schema(), 200, endpoint)

        @require("write")
        @blp.response(204)
        @summary(f"Delete a {noun} no {kind.used_by[1][:-1]} uses (curators; needs If-Match)")
        def delete(self, id: str) -> None:
            column, users = kind.used_by
            used = users if queries.cited(column, id) else None
            if not used and (referring := kind.referred(id)):
                used = f"the date bases of {', '.join(referring)}"
            writes.remove(detail(id), kind.detail_schema(), used)

    return detail
