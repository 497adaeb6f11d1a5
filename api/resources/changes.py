"""Following the data: the change log, in commit order."""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from api.domain.changelog import data_version
from api.extensions import db
from api.models import Change
from schemas.change import ChangePageSchema, ChangeQuerySchema

blp = Blueprint("changes", __name__, url_prefix="/v1",
                description="Follow the data: every change, in commit order.")

FILTERS = {"mission": Change.mission_id, "resource": Change.resource, "action": Change.action}


def changes_page(args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The entries after ``args["after"]`` that match the filters, and where to read on.

    The log's end is read first: every entry up to it is committed (appends are made and
    committed in ``seq`` order, api/domain/changelog.py), so a follower that goes on after
    it misses nothing."""
    last = data_version()
    stmt = select(Change).where(Change.seq > args["after"], Change.seq <= last)
    for name, column in FILTERS.items():
        if name in args:
            stmt = stmt.where(column.in_(args[name]))
    items = list(db.session.scalars(stmt.order_by(Change.seq).limit(args["limit"] + 1)))
    more = len(items) > args["limit"]
    items = items[:args["limit"]]
    after = items[-1].seq if more else max(last, args["after"])
    query = {**request.args.to_dict(flat=False), "after": after}
    next_url = url_for("changes.Changes", **query, _external=True)
    return ({"items": items, "next": next_url, "last_seq": last},
            {"Link": f'<{next_url}>; rel="next"'})


@blp.route("/changes", endpoint="Changes")
class Changes(MethodView):
    @blp.arguments(ChangeQuerySchema(), location="query")
    @blp.response(200, ChangePageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Follow every change

        Each create, update, delete or restore of a mission, source, person, event,
        citation or claim, in commit order (`seq`), deletions included. Start from a
        snapshot's `seq` (`GET /v1/snapshot`) or from 0, then follow `next`: at the end of
        the log it points after `last_seq`, and polling it with `If-None-Match` answers
        304 until something changes. Each entry links to the record and to the revision
        it made.
        """
        page, headers = changes_page(args)
        return page, 200, headers
