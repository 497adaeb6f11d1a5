"""Each record's JSON, dumped by its schema once per version and reused by every page.

A page of events costs little more than one query of ``(id, version)`` rows: the JSON of
every event is memoised under ``(kind, url root, id, version)`` and only events missing from
the memo are loaded and dumped, by the same schema as before; a page is then laid out from
those dicts by orjson. Event versions are unique over time (api/domain/changelog.py gives
every event a write changes that write's last change-log number), so a key names one
representation for good and nothing needs expiring: a write only makes the events it
changed miss. The url root is in the key because links are absolute.

The memo is a per-worker LRU of at most ``FRAGMENT_CACHE_ENTRIES`` entries (the JSON
bytes of one event: about 1-2 KB), so its memory is bounded whatever the table size;
0 turns it off. Format documents (TimelineJS) memoise their per-event pieces the same way,
under a ``kind`` of their own.

Whole documents made of pieces (a page of events, a TimelineJS document) are memoised
too, with their ETag, under a key naming everything they are made of (``memoised``: the
pieces' ids and versions, the url root, the arguments that shape them, the links), in an
LRU bounded by ``DOCUMENT_CACHE_BYTES``: the first request after a write still reads which
events (and versions) it shows, and rebuilds the document only if one of them changed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any

import orjson
from cachetools import LRUCache
from flask import Flask, Response, current_app, request
from marshmallow import Schema

from api.http.cache.policy import etag_of
from api.http.jsonprovider import OPTIONS

EXTENSION = "fragment_cache"


class Fragments:
    """Bounded, thread-safe LRUs (cachetools) of rendered pieces and of whole documents
    (their bytes and ETag)."""

    def __init__(self, max_entries: int, max_document_bytes: int = 0) -> None:
        self.entries: LRUCache[Any, Any] = LRUCache(max(max_entries, 1))
        self.enabled = max_entries > 0
        self.documents: LRUCache[Any, tuple[bytes, str]] = LRUCache(
            max(max_document_bytes, 1), getsizeof=lambda document: len(document[0]))
        self.lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self.lock:
            return self.entries.get(key)

    def get_many(self, keys: list[Any]) -> list[Any]:
        """``get`` of each key, under one lock."""
        get = self.entries.get
        with self.lock:
            return [get(key) for key in keys]

    def put(self, key: Any, value: Any) -> None:
        if self.enabled:
            with self.lock:
                self.entries[key] = value

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.documents.clear()


def memoised(key: Hashable, build: Callable[[], tuple[bytes, str]]) -> tuple[bytes, str]:
    """``build()``, a document's bytes and ETag, memoised under ``key`` (which must name
    everything the document is made of, the url root included: see ``root``)."""
    memo: Fragments = current_app.extensions[EXTENSION]
    with memo.lock:
        found = memo.documents.get(key)
    if found is None:
        found = build()
        if len(found[0]) <= memo.documents.maxsize:
            with memo.lock:
                memo.documents[key] = found
    return found


def versions(rows: Sequence[Any]) -> tuple[tuple[str, int], ...]:
    """The ``(id, version)`` of each record of ``rows``: what their pieces are, in order."""
    return tuple((row.id, row.version) for row in rows)


def root() -> tuple[str, str]:
    """The request's url root (host url, script root): links in pieces are absolute."""
    return request.host_url, request.script_root


def dumps(obj: Any) -> bytes:
    """JSON exactly as the app's JSON provider writes it (without its final newline)."""
    return orjson.dumps(obj, default=current_app.json.default, option=OPTIONS)


def pieces(rows: Sequence[Any], load: Callable[[list[str]], Iterable[Any]],
           render_one: Callable[[Any], Any], kind: Hashable = "json") -> list[Any]:
    """``render_one(record)`` of each record in ``rows`` (with ``id`` and ``version``), in
    order, memoised under ``(kind, url root, id, version)``.

    Records not memoised are fetched with ``load(ids)`` and rendered; a record ``load`` no
    longer finds (deleted meanwhile) is left out.
    """
    memo: Fragments = current_app.extensions[EXTENSION]
    where, found, missing = root(), {}, []
    values = memo.get_many([(kind, where, row.id, row.version) for row in rows])
    for row, value in zip(rows, values, strict=True):
        if value is None:
            missing.append(row.id)
        else:
            found[row.id] = value
    for obj in load(missing) if missing else ():
        found[obj.id] = value = render_one(obj)
        memo.put((kind, where, obj.id, obj.version), value)
    return [found[row.id] for row in rows if row.id in found]


def render(rows: Sequence[Any], load: Callable[[list[str]], Iterable[Any]],
           schema: type[Schema]) -> list[dict[str, Any]]:
    """What ``schema`` dumps of each record in ``rows`` (see ``pieces``; kept as compact
    JSON, a fraction of the dict's memory, and read back for each use)."""
    dumper: list[Schema] = []  # built only when needed: it costs as much as a page

    def dump(obj: Any) -> bytes:
        if not dumper:
            dumper.append(schema())
        return orjson.dumps(dumper[0].dump(obj), default=current_app.json.default)

    return [orjson.loads(json) for json in pieces(rows, load, dump)]


def document(doc: dict[str, Any]) -> tuple[bytes, str]:
    """A document's bytes as the app's JSON provider sends them, and its ETag."""
    body = dumps(doc) + b"\n"
    return body, etag_of(body)


def page(items: list[dict[str, Any]], next_url: str | None, **extra: Any) -> tuple[bytes, str]:
    """A page's bytes, ``{"items": [...], "next": next_url, **extra}``, and its ETag."""
    return document({"items": items, "next": next_url, **extra})


def json_response(body: bytes, headers: dict[str, str] | None = None,
                  etag: str | None = None) -> Response:
    """A response with the JSON ``body`` (ending with a newline, as the app's JSON provider
    sends it)."""
    if not body.endswith(b"\n"):
        body += b"\n"
    response = current_app.response_class(body, mimetype=current_app.json.mimetype,
                                          headers=headers)
    if etag:
        response.set_etag(etag)
    return response


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = Fragments(app.config["FRAGMENT_CACHE_ENTRIES"],
                                          app.config["DOCUMENT_CACHE_BYTES"])
