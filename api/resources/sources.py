"""Sources: the articles every fact is cited from."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import ValidationError
from sqlalchemy import select

from api.domain.quotes import missing_own_quotes, unverifiable
from api.domain.store import derived_from
from api.extensions import db
from api.http import writes
from api.http.auth import require
from api.http.cache import etag_of
from api.http.errors import Problem, get_or_404
from api.http.security import accepts
from api.models import Citation, Event, Source
from api.resources import records
from schemas import (
    SourceDetailSchema,
    SourcePatchSchema,
    SourceSchema,
)
from schemas.common import TEXT_PATTERNS, check_characters

blp = Blueprint("sources", __name__, url_prefix="/v1/sources", description="Cited sources.")


source_detail = records.register(blp, records.Kind(
    Source, (SourceSchema, SourceDetailSchema, SourcePatchSchema), "source",
    used_by=(Event.citations, Citation.source_id, "citations"),
    events_phrase="the events it supports", referred=lambda id: derived_from("source", id)))


@blp.route("/<string:id>/text", endpoint="SourceText")
class SourceText(MethodView):
    @require("read")
    @blp.response(200, {"type": "string"}, content_type="text/plain")
    def get(self, id: str) -> Response:
        """Get a source's article text (curators)"""
        source = get_or_404(Source, id, f"No source with id '{id}'.")
        if source.text is None:
            raise Problem(404, f"No text is stored for source '{id}'.")
        return Response(source.text, mimetype="text/plain",
                        headers={"Cache-Control": "private, no-cache", "Vary": "Authorization"})

    @require("write")
    @accepts("text/plain")
    @blp.doc(requestBody={"required": True,
                          "content": {"text/plain": {"schema": {
                              "type": "string", "pattern": TEXT_PATTERNS[True]}}}})
    @blp.response(204)
    def put(self, id: str) -> Any:
        """Store a source's article text (curators; needs If-Match)

        The body is UTF-8 text (tabs and line breaks, no other control characters). Send
        `If-Match` with the ETag of the text's GET, or `If-None-Match: *` when none is
        stored yet. Every citation of the source is checked against the new text: if a
        quote does not occur, nothing is stored and the answer (422) names each such citation.
        """
        source = get_or_404(Source, id, f"No source with id '{id}'.")
        writes.check_if_match(None if source.text is None else text_etag(source.text))
        try:
            source.text = check_characters(request.get_data().decode("utf-8"), prose=True)
        except UnicodeDecodeError as err:
            writes.invalid({"body": [f"Not UTF-8: invalid byte at offset {err.start}."]})
        except ValidationError as err:
            writes.invalid({"body": err.messages})
        db.session.flush()
        citations = db.session.scalars(select(Citation).where(Citation.source_id == id))
        failed = {f"citation {c.id} (event '{c.event_id}')": ["The quote does not occur in "
                  "this text."] for c in unverifiable(citations)}
        failed |= {f"source's {field}": ["The quote does not occur in this text."]
                   for field, _ in missing_own_quotes(source)}
        if failed:
            writes.invalid(failed)
        writes.commit()
        return None, 204, {"ETag": f'"{text_etag(source.text)}"'}


def text_etag(text: str) -> str:
    """The ETag of a source text's GET (its UTF-8 bytes)."""
    return etag_of(text.encode("utf-8"))
