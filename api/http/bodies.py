"""JSON request bodies, read strictly by the arguments parser of every view (api/extensions.py)
before any schema sees them: nested deeper than ``MAX_DEPTH`` levels (the deepest record is
7) or holding one key twice in an object (parsers disagree on which copy wins) is a 400,
a werkzeug ``BadRequest`` answered as problem+json (api/http/errors.py).
"""

from __future__ import annotations

import json
import re
from typing import Any

from werkzeug.exceptions import BadRequest

MAX_DEPTH = 32
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_BRACKET = re.compile(rb"[\[\]{}]")


def too_deep(body: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether arrays and objects nest more than ``limit`` levels (brackets in strings
    are text, not nesting)."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    level = 0
    for bracket in _BRACKET.findall(_STRING.sub(b"", body)):
        level += 1 if bracket in (b"[", b"{") else -1
        if level > limit:
            return True
    return False


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise BadRequest(f"The JSON body holds the key '{key[:100]}' twice in one "
                             "object: send each key once.")
        found[key] = value
    return found


def load_json(body: bytes) -> Any:
    """The JSON document ``body``; ``json.JSONDecodeError`` (or ``UnicodeDecodeError``)
    when it is none, ``BadRequest`` when it is nested too deep or repeats a key."""
    if too_deep(body):
        raise BadRequest(f"The JSON body nests arrays or objects more than {MAX_DEPTH} "
                         "levels deep.")
    return json.loads(body.decode("utf-8"), object_pairs_hook=_unique)
