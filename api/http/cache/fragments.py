"""Each record's JSON, dumped by its schema once per version and reused by every page.

A page of events costs little more than one query of ``(id, version)`` rows: the JSON of
every event is memoised under ``(url root, id, version)`` and only events missing from
the memo are loaded and dumped, by the same schema as before. Event versions are unique
over time (api/domain/store.py gives every event a write changes the write's data version), so a
key names one representation for good and nothing needs expiring: a write only makes the
events it changed miss. The url root is in the key because links are absolute.

The memo is a per-worker LRU of at most ``FRAGMENT_CACHE_ENTRIES`` entries (the JSON
bytes of one event: about 1-2 KB), so its memory is bounded whatever the table size;
0 turns it off.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import orjson
from cachetools import LRUCache
from flask import Flask, Response, current_app, request
from marshmallow import Schema

from api.http.jsonprovider import OPTIONS

EXTENSION = "fragment_cache"
_ITEMS = "\0items"  # stands for the items while orjson lays out a page


class Fragments:
    """A bounded, thread-safe LRU (cachetools) of rendered pieces."""

    def __init__(self, max_entries: int) -> None:
        self.entries: LRUCache[Any, Any] = LRUCache(max(max_entries, 1))
        self.enabled = max_entries > 0
        self.lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self.lock:
            return self.entries.get(key)

    def put(self, key: Any, value: Any) -> None:
        if self.enabled:
            with self.lock:
                self.entries[key] = value

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


def dumps(obj: Any) -> bytes:
    """JSON exactly as the app's JSON provider writes it (without its final newline)."""
    return orjson.dumps(obj, default=current_app.json.default, option=OPTIONS)


def render(rows: Sequence[Any], load: Callable[[list[str]], Iterable[Any]],
           schema: type[Schema]) -> list[bytes]:
    """The JSON of each record in ``rows`` (with ``id`` and ``version``), in order.

    Records not memoised are fetched with ``load(ids)`` and dumped by ``schema``; a record
    ``load`` no longer finds (deleted meanwhile) is left out.
    """
    memo: Fragments = current_app.extensions[EXTENSION]
    root, found, missing = request.url_root, {}, []
    for row in rows:
        value = memo.get((root, row.id, row.version))
        if value is None:
            missing.append(row.id)
        else:
            found[row.id] = value
    if missing:
        dumper = schema()  # only when needed: building a schema costs as much as a page
        for obj in load(missing):
            found[obj.id] = value = dumps(dumper.dump(obj))
            memo.put((root, obj.id, obj.version), value)
    return [found[row.id] for row in rows if row.id in found]


def json_response(body: bytes, headers: dict[str, str] | None = None) -> Response:
    """A response with the JSON ``body``, as the app's JSON provider sends it."""
    return current_app.response_class(body + b"\n", mimetype=current_app.json.mimetype,
                                      headers=headers)


def page(items: list[bytes], next_url: str | None) -> bytes:
    """The JSON of ``{"items": [...], "next": next_url}`` from the items' JSON: the same
    bytes as dumping the page whole (orjson lays out the page; the items, indented one
    level deeper, take the place of a placeholder)."""
    if not items:
        return dumps({"items": [], "next": next_url})
    layout = dumps({"items": [_ITEMS], "next": next_url})
    inner = b",\n    ".join(item.replace(b"\n", b"\n    ") for item in items)
    return layout.replace(dumps(_ITEMS), inner, 1)


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = Fragments(app.config["FRAGMENT_CACHE_ENTRIES"])
