"""Schemathesis hooks for the contract run (tests/http/test_fuzz_openapi.py): the few
"schema-valid request rejected" answers (ST202) that are right, and why no schema can
rule them out. Every other failure of every check fails the run; the run's summary counts
the failures dropped here.

- 412 on PATCH/DELETE/PUT: a generated ``If-Match`` cannot name the resource's current ETag.
- 428 on PUT: a PUT needs ``If-Match`` or ``If-None-Match: *`` (one of two headers, which
  OpenAPI parameters cannot say; each is documented).
- 400 naming only ``cursor``: a generated cursor is well-formed base64url but names no
  position in the list (cursors are opaque; only ``next`` links hold real ones).
- 400 naming only a rule between query parameters, which OpenAPI parameters cannot state:
  ``from`` after ``to`` ("swap them"), ``sort=relevance`` without ``q``, a timeline's
  ``as_of`` with a filter (in the JSON problem, or as the embed page's messages).
- 400 naming only mission, person or source filters with "No ... did you mean": a
  generated id or spelling is well-formed but names no record (which ids exist is data,
  not schema); the answer suggests the nearest ones.
- 422 naming only rules that need the database or several fields at once: a quote must
  occur in its source's text, referenced ids must exist, an end cannot precede its start,
  a stated precision must match the date, a person is listed once, an id cannot change;
  and a date's basis (docs/data-model.md): an inferred or approximate date needs one, its
  rule decides `inferred`, which parameter it takes and whether it has a reference, its
  quote must lie in a citation supporting that date (a claim's, in a citation; a
  source's, in its own words), the date must follow from it, an open bound has none and
  an open start needs a dated end.
- 422 naming only a webhook's ``url`` whose host does not resolve, or resolves to a
  private, loopback or link-local address, or whose port is above 65535; or a replay
  ``after`` the log's last entry: the network and the data decide, not the schema.
- 400 from the embed page (HTML) naming only ``start_at``: the event it opens on must
  exist in that mission.

- 400 naming ``If-Match`` (or a PUT's ``If-None-Match``) when the value sent really breaks
  the documented pattern: the coverage phase sends such values (``If-Match: 0``) to an
  optional header as if valid. The same for ``Accept-Datetime``, and there also a value
  the pattern allows that names no day (``31 Feb``), which a pattern cannot rule out.

And one "created resource not found" (ST302): a source created a moment ago has no article
text until a curator PUTs it, so its ``/text`` is a 404 saying so.
"""

from __future__ import annotations

import json
import re
from typing import Any

import schemathesis
from marshmallow import ValidationError
from schemathesis.openapi.checks import EnsureResourceAvailability, RejectedPositiveData

from api.http.writes import ETAG_PATTERN
from schemas import flatten_errors
from schemas.memento import HttpDate
from schemas.timelinejs import AS_OF_ALONE

QUERY_RULES = ("swap them.", "Sorting by relevance needs `q`.", AS_OF_ALONE)
STATEFUL_RULES = ("does not occur", "Unknown id", "cannot come before", "has precision",
                  "is listed twice", "cannot change", "is taken",
                  # a date's basis: several fields at once, or the database
                  "needs a basis", "exactly when its basis rule", "The rule '",
                  "A stated date has no reference", "An open bound is neither",
                  "An open start needs", "Must lie within a citation", "Does not follow from",
                  "rest on its own words", "Quote the source itself",
                  "rests on a quote", "lacks the words", "Only the start has an order",
                  # a webhook's URL: where its host resolves (the network's data), a port
                  # the URL pattern lets through but TCP has not; a replay past the log's end
                  "does not resolve to an address", "a private, loopback or link-local",
                  "The port must be a number", "The log ends at")


def _problem(response: Any) -> dict[str, Any]:
    try:
        return json.loads(response.content)
    except ValueError:
        return {}


def _content_type(response: Any) -> str:
    values = [v for k, v in response.headers.items() if k.lower() == "content-type"]
    return str(values[0][0] if values and isinstance(values[0], list) else values[0] if values
               else "")


def _messages(response: Any) -> list[tuple[str, str]]:
    return flatten_errors(_problem(response).get("errors", {}))


def _bad_if_match(case: Any) -> bool:
    sent = (case.headers or {}).get("If-Match")
    return sent is not None and re.match(ETAG_PATTERN, sent.strip()) is None


def _plain(text: str) -> str:
    return re.sub(r"`|</?code>", "", text)


def _unknown_id(path: str, message: str) -> bool:
    """A filter naming an id (or person's spelling) the data does not hold (lookup.resolve)."""
    return path in ("query.mission", "query.person", "query.source") and message.startswith(
        ("No mission '", "No person '", "No source '"))


def _bad_accept_datetime(case: Any) -> bool:
    sent = (case.headers or {}).get("Accept-Datetime")
    try:
        HttpDate().deserialize(sent)
    except ValidationError:
        return sent is not None
    return False


def _bad_if_none_match(case: Any) -> bool:
    sent = (case.headers or {}).get("If-None-Match")
    return case.method.upper() == "PUT" and sent is not None and sent.strip() != "*"


def expected_rejection(method: str, response: Any, case: Any = None) -> bool:
    """Whether a schema-valid request was rightly refused (see the module docstring)."""
    status, messages = response.status_code, _messages(response)
    if status == 400 and case is not None and _bad_if_match(case):
        return "'If-Match'" in str(_problem(response).get("detail", ""))
    if status == 400 and case is not None and _bad_if_none_match(case):
        return "'If-None-Match'" in str(_problem(response).get("detail", ""))
    if status == 400 and case is not None and _bad_accept_datetime(case):
        return [path for path, _ in messages] == ["headers.Accept-Datetime"]
    if status == 412:
        return method in ("PATCH", "DELETE", "PUT")
    if status == 428:
        return method == "PUT"
    if status == 400 and "text/html" in _content_type(response):
        page = response.content.decode("utf-8", "replace")
        parts = page.split("Query parameter &#39;")[1:]  # each message, and what follows
        return bool(parts) and all(
            part.startswith("start_at&#39;: No event")
            or any(_plain(rule) in _plain(part) for rule in QUERY_RULES) for part in parts)
    if status == 400:
        return bool(messages) and all(
            path == "query.cursor" or _unknown_id(path, message)
            or (path.startswith("query.") and message.endswith(QUERY_RULES))
            for path, message in messages)
    if status == 422:
        return bool(messages) and all(any(rule in message for rule in STATEFUL_RULES)
                                      for _, message in messages)
    return False


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    if isinstance(failure, RejectedPositiveData):
        return not expected_rejection(case.method.upper(), response, case)
    if isinstance(failure, EnsureResourceAvailability):
        return not (response.status_code == 404 and str(
            _problem(response).get("detail", "")).startswith("No text is stored"))
    return True
