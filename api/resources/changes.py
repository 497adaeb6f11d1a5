"""Following the data: the change log, in commit order."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Any

import orjson
from flask import Response, request, stream_with_context, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from api.domain import snapshot
from api.domain.changelog import data_version
from api.extensions import db
from api.http.cache.policy import etag_of
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


NDJSON = "application/x-ndjson"
CHUNK = 1 << 16  # bytes written at a time (a write a line would be a system call a line)


def chunks(lines: Iterator[bytes]) -> Iterator[bytes]:
    """``lines`` joined into pieces of about ``CHUNK`` bytes."""
    held, size = [], 0
    for line in lines:
        held.append(line)
        size += len(line)
        if size >= CHUNK:
            yield b"".join(held)
            held, size = [], 0
    if held:
        yield b"".join(held)


def ndjson_response(lines: Iterator[bytes], etag: str, headers: dict[str, str]) -> Response:
    """A streamed NDJSON answer (gzip-compressed chunk by chunk when the client accepts
    it), or 304 when If-None-Match already names ``etag``."""
    gzip = "gzip" in request.accept_encodings
    tag = etag_of(f"{etag}:{'gzip' if gzip else 'identity'}".encode())
    if request.if_none_match.contains(tag):
        return Response(status=304, headers={"ETag": f'"{tag}"', "Vary": "Accept-Encoding"})

    def compressed() -> Iterator[bytes]:
        packer = zlib.compressobj(wbits=31)  # the gzip format
        for piece in chunks(lines):
            if chunk := packer.compress(piece):
                yield chunk
        yield packer.flush()

    response = Response(stream_with_context(compressed() if gzip else chunks(lines)),
                        mimetype=NDJSON,
                        headers={"ETag": f'"{tag}"', "Vary": "Accept-Encoding", **headers})
    if gzip:
        response.headers["Content-Encoding"] = "gzip"
    return response


def line(data: object) -> bytes:
    return orjson.dumps(data, option=orjson.OPT_APPEND_NEWLINE)


@blp.route("/snapshot", endpoint="Snapshot")
class Snapshot(MethodView):
    @blp.response(200, content_type=NDJSON, example=(
        '{"seq": 181, "changes": "http://127.0.0.1:5000/v1/changes?after=181"}\n'
        '{"resource": "mission", "id": "the-challenge", "record": {"id": "the-challenge"}}\n'))
    def get(self) -> Response:
        """The whole dataset, to start following from

        Newline-delimited JSON, streamed (gzip with `Accept-Encoding: gzip`): first
        `{"seq", "changes"}`, the point of the change log it is consistent with, then one
        line per live mission, source, person and event, `{"resource", "id", "record"}`,
        each record as a seed file (and each revision) holds it. Apply
        `/v1/changes?after=seq` to it to stay current. The `Snapshot-Seq` header says
        the same `seq`.
        """
        connection = snapshot.open_read()
        seq = snapshot.seq_of(connection)
        changes = url_for("changes.Changes", after=seq, _external=True)

        def lines() -> Iterator[bytes]:
            try:
                yield line({"seq": seq, "changes": changes})
                for record in snapshot.records(connection):
                    yield line(record)
            finally:
                connection.close()

        try:
            response = ndjson_response(lines(), f"snapshot:{seq}", {"Snapshot-Seq": str(seq)})
        except BaseException:
            connection.close()
            raise
        if response.status_code == 304:
            connection.close()
        return response
