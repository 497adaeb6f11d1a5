"""The render memo: each record's rendered piece, and the documents made of them, kept
under keys naming the versions they show, so nothing in it is ever stale.

A page of events costs little more than one query of ``(id, version)`` rows: each event's
JSON is memoised under ``(kind, url root, id, version)`` and only events missing from the
memo are loaded and dumped, by the same schema as before. Event versions are unique over
time (api/domain/changelog.py gives every event a write changes that write's last
change-log number), so a key names one representation for good and nothing needs
expiring: a write only makes the events it changed miss. The url root is in the key
because links are absolute. Format documents (TimelineJS, calendars, CSV) memoise their
per-event pieces the same way, under a ``kind`` of their own.

A whole document (a page of events, a TimelineJS document) is kept too, with its ETag,
under a key naming everything it is made of (its pieces' ids and versions, the url root,
the arguments that shape it): the first request after a write still reads which events
(and versions) it shows, and rebuilds the document only if one of them changed.

One LRU holds both, bounded by ``FRAGMENT_CACHE_BYTES`` (0 turns it off).
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

EXTENSION = "fragment_cache"


class Memo:
    """A thread-safe LRU (cachetools) of bytes, or of ``(bytes, etag)`` documents,
    bounded by their bytes."""

    def __init__(self, max_bytes: int) -> None:
        self.enabled = max_bytes > 0
        self.entries: LRUCache[Any, Any] = LRUCache(max(max_bytes, 1), getsizeof=_size)
        self.lock = threading.Lock()

    def get_many(self, keys: list[Any]) -> list[Any]:
        with self.lock:
            return [self.entries.get(key) for key in keys]

    def put(self, key: Any, value: Any) -> None:
        if self.enabled and _size(value) <= self.entries.maxsize:
            with self.lock:
                self.entries[key] = value

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


def _size(value: bytes | tuple[bytes, str]) -> int:
    return len(value[0]) if isinstance(value, tuple) else len(value)


def memo() -> Memo:
    return current_app.extensions[EXTENSION]


def versions(rows: Sequence[Any]) -> tuple[tuple[str, int], ...]:
    """The ``(id, version)`` of each record of ``rows``: what their pieces are, in order."""
    return tuple((row.id, row.version) for row in rows)


def root() -> tuple[str, str]:
    """The request's url root (host url, script root): links in pieces are absolute."""
    return request.host_url, request.script_root


def pieces(rows: Sequence[Any], load: Callable[[list[str]], Iterable[Any]],
           render_one: Callable[[Any], bytes], kind: Hashable = "json") -> list[bytes]:
    """``render_one(record)`` of each record in ``rows`` (with ``id`` and ``version``), in
    order, memoised under ``(kind, url root, id, version)``.

    Records not memoised are fetched with ``load(ids)`` and rendered; a record ``load`` no
    longer finds (deleted meanwhile) is left out.
    """
    where = root()
    values = memo().get_many([(kind, where, row.id, row.version) for row in rows])
    found = {row.id: value for row, value in zip(rows, values, strict=True) if value is not None}
    missing = [row.id for row in rows if row.id not in found]
    for obj in load(missing) if missing else ():
        found[obj.id] = value = render_one(obj)
        memo().put((kind, where, obj.id, obj.version), value)
    return [found[row.id] for row in rows if row.id in found]


def render(rows: Sequence[Any], load: Callable[[list[str]], Iterable[Any]],
           schema: Schema) -> list[dict[str, Any]]:
    """What ``schema`` dumps of each record in ``rows`` (see ``pieces``; kept as compact
    JSON, a fraction of the dict's memory, and read back for each use)."""
    return [orjson.loads(json) for json in pieces(
        rows, load, lambda obj: orjson.dumps(schema.dump(obj), default=current_app.json.default))]


def document(key: Hashable, build: Callable[[], Any], headers: dict[str, str] | None = None
             ) -> Response:
    """The JSON response of the document ``build()`` returns, memoised with its ETag
    under ``key``, which must name everything the document is made of (the url root too)."""
    [found] = memo().get_many([key])
    if found is None:
        body = current_app.json.response(build()).get_data()
        found = (body, etag_of(body))
        memo().put(key, found)
    response = current_app.response_class(found[0], mimetype=current_app.json.mimetype,
                                          headers=headers)
    response.set_etag(found[1])
    return response


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = Memo(app.config["FRAGMENT_CACHE_BYTES"])
