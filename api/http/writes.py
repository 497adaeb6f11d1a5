"""What every write shares: the body (``@body``), validation, If-Match, compare-and-swap, commit.

A write runs in one transaction: any error aborts the request before ``commit`` and the
session is rolled back when the request ends, so nothing changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NoReturn

from flask import Flask, g, request, url_for
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError
from sqlalchemy import update

from api.domain import changelog, derivations, history
from api.domain.quotes import missing_own_quotes, unsupported_refs, unverifiable
from api.domain.store import apply, dependents, label, own_dates, reference_date, taken
from api.extensions import SAFE_METHODS, db
from api.http import errors, faults
from api.http.cache import representation_etag
from api.http.errors import Problem
from api.http.security import accepts
from api.models import Event, Source
from schemas import dates
from schemas.seedform import seed_form

JSON = "application/json"
MERGE_PATCH = "application/merge-patch+json"
# An If-Match header as clients send it: one or more entity tags exactly as an ETag
# header gave them (quoted, possibly weak), comma-separated; at most MAX_IF_MATCH long.
ETAG_PATTERN = r'(W/)?"[\x21\x23-\x7e]*"(\s*,\s*(W/)?"[\x21\x23-\x7e]*")*'
MAX_IF_MATCH = 1024


def body(blp: Blueprint, schema: type[Schema], content_type: str = JSON
         ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a write: its required body, validated by ``schema`` (the view gets the
    loaded data first), documented, and its media type the one the 415 check accepts."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        parsed = blp.arguments(schema(), location="json", content_type=content_type,
                               required=True)(view)
        return accepts(content_type)(parsed)

    return decorator


def invalid(messages: dict[str, Any]) -> NoReturn:
    """422 problem+json naming each invalid field of the body."""
    raise errors.invalid({"json": messages})


def load(schema: Schema, data: dict[str, Any]) -> dict[str, Any]:
    """Validate ``data`` with the same schema the seed files use; unknown fields are errors."""
    try:
        return schema.load(data)
    except ValidationError as err:
        invalid(err.messages)  # type: ignore[arg-type]


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396: ``patch``'s objects merge into ``target``'s, key by key; anything else
    (a list, a string, null) replaces what was there."""
    if not isinstance(patch, dict) or not isinstance(target, dict):
        return patch
    return {**target, **{key: merge_patch(target.get(key), value)
                         for key, value in patch.items()}}


def merged(schema_cls: type[Schema], obj: Any, patch: dict[str, Any]) -> dict[str, Any]:
    """A PATCH merged into ``obj``'s seed form (``merge_patch``), for ``schema_cls`` to
    validate whole."""
    current, change = seed_form(schema_cls, obj), seed_form(schema_cls, patch)
    if "id" in change and change["id"] != current.get("id"):
        invalid({"id": ["The id cannot change."]})
    return merge_patch(current, change)


etag = representation_etag  # the ETag a GET of ``obj`` answers with (api/http/cache/policy.py)


def check_if_match(current: str | None) -> None:
    """PATCH, PUT and DELETE must name the ``current`` ETag (428 without, 400 malformed, 412
    stale); ``None``: nothing is stored yet, and ``If-None-Match: *`` creates it."""
    sent = request.headers.get("If-Match", "").strip()
    if sent and sent != "*" and (len(sent) > MAX_IF_MATCH or not re.fullmatch(ETAG_PATTERN, sent)):
        raise Problem(400, "Invalid header 'If-Match': send the ETag exactly as your GET "
                      'gave it, quotes included (e.g. If-Match: "abc...").')
    none_match = request.headers.get("If-None-Match")
    if request.method == "PUT" and none_match is not None and none_match.strip() != "*":
        raise Problem(400, "Invalid header 'If-None-Match': only * (store the first "
                      "version, when none exists yet) is allowed.")
    if current is None:
        if request.if_none_match.star_tag and not sent:
            return
        raise Problem(412 if sent else 428,
                      "Nothing is stored here yet: send If-None-Match: * to create it.")
    if not sent or sent == "*":
        raise Problem(428, "Send If-Match with the ETag of your last GET of this resource, "
                      "so no one's change is overwritten unseen.")
    if not request.if_match.contains(current):
        raise Problem(412, "The resource changed since your GET: fetch it again, reapply "
                      "your change, and send the new ETag.", headers={"ETag": f'"{current}"'})


def claim(obj: Any) -> None:
    """Compare-and-swap ``obj``'s version: exactly one concurrent writer wins, others get
    412. The conditional UPDATE locks the row until commit; the commit, if anything
    changed, gives the version the change log's number (api/domain/changelog.py)."""
    model = type(obj)
    done = db.session.execute(
        update(model).where(model.id == obj.id, model.version == obj.version)
        .values(version=model.version).execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        db.session.rollback()
        raise Problem(412, "Someone else changed this resource at the same moment: fetch it "
                      "again and reapply your change.")


def check_record(obj: Any) -> None:
    """422 when a source's quotes are missing from its text, an event's quotes lie in none
    of its citations, or a date does not follow from its basis; 409 from
    ``check_dependents``."""
    db.session.flush()
    problems: dict[str, list[str]] = {}
    found = []
    if isinstance(obj, Source):
        found += [(field, "Not found in the source's text.")
                  for field, _ in missing_own_quotes(obj)]
    if isinstance(obj, Event):
        found += list(unsupported_refs(obj).items())
    if isinstance(obj, Event | Source):
        found += [(field, f"Does not follow from its basis: {why}.")
                  for field, why in derivations.problems(own_dates(obj), reference_date)]
    for field, why in found:
        problems.setdefault(field, []).append(why)
    if problems:
        invalid(problems)
    if isinstance(obj, Event | Source):
        check_dependents(obj)


def check_dependents(obj: Event | Source) -> None:
    """409 naming the records whose dates derive from ``obj``'s and no longer follow from
    their basis after this change."""
    kind = "event" if isinstance(obj, Event) else "source"
    broken = [label(record) for record in dependents(kind, obj.id)
              if derivations.problems(own_dates(record), reference_date)]
    if broken:
        raise Problem(409, f"The dates of {', '.join(broken)} derive from this {kind}'s date "
                      "and would no longer follow from their basis: change their basis first.")


def check_bases_kept(before: dict[str, Any], after: dict[str, Any]) -> None:
    """422 when an edit leaves a date that had a basis without one (but an open bound)."""
    dropped = {f"{name}.basis": ["This date rests on a quote: give the new date's basis too "
                                 "(the quote, the rule and, unless stated, the reference)."]
               for name, date in after.items()
               if (before.get(name) or {}).get("basis") and date
               and date["date"] != dates.OPEN and not date.get("basis")}
    if dropped:
        invalid(dropped)


def commit() -> None:
    """End a write: commit, and remember the change log's number for ``Data-Seq``."""
    db.session.commit()
    g.data_seq = db.session.info.pop(changelog.LAST, None)


def save_event(event: Event, action: str = "update") -> None:
    """Check the event's quotes, keep a revision of it, and commit."""
    db.session.flush()
    failed = unverifiable(event.citations)
    if failed:
        invalid({"citations": {
            event.citations.index(c): {"quote": [
                f"The quote does not occur in the text of source '{c.source_id}' "
                "(character for character; only whitespace may differ)."
            ]} for c in failed
        }})
    check_record(event)
    history.record(event, g.curator, action)
    commit()


def check_references(refs: list[tuple[str, type[db.Model], str]]) -> None:
    """422 naming every ``(field, model, id)`` whose id does not exist."""
    missing = {field: [f"Unknown id '{ident}'."] for field, model, ident in refs
               if db.session.get(model, ident) is None}
    if missing:
        invalid(missing)


def create(model: type[db.Model], data: dict[str, Any]) -> Any:
    """POST: a new person or source from the loaded body; 409 when its id is taken."""
    if taken(model, data["id"]):
        raise Problem(409, f"The id '{data['id']}' is taken.")
    obj = model(id=data["id"])
    db.session.add(obj)
    apply(obj, data)
    check_record(obj)
    history.record_other(obj, g.curator, "create")
    commit()
    return obj


def change(obj: Any, schema_cls: type[Schema], shown: Any, patch: dict[str, Any]) -> None:
    """PATCH: merge ``patch`` into a person or source ``obj`` if If-Match names the ETag of
    ``shown`` (its GET)."""
    check_if_match(etag(shown, obj))
    data = load(schema_cls(), merged(schema_cls, obj, patch))
    if isinstance(obj, Source):
        check_bases_kept(own_dates(obj), {name: data.get(name) for name in own_dates(obj)})
    claim(obj)
    history.baseline(obj)
    apply(obj, data)
    check_record(obj)
    history.record_other(obj, g.curator)
    commit()


def remove(obj: Any, shown: Schema, used_by: str | None) -> None:
    """DELETE: remove ``obj`` if If-Match matches; 409 while ``used_by`` names a user."""
    check_if_match(etag(shown, obj))
    if used_by:
        raise Problem(409, f"Still referred to by {used_by}: change those first.")
    claim(obj)
    history.baseline(obj)
    history.record_other(obj, g.curator, "delete")
    db.session.delete(obj)
    commit()


def answer(obj: Any, shown: Schema, status: int, endpoint: str) -> tuple[Any, int, dict[str, str]]:
    """A write's response: the record as GET shows it, its ETag and Location."""
    location = url_for(endpoint, id=obj.id, _external=True)
    return obj, status, {"ETag": f'"{etag(shown, obj)}"', "Location": location}


def _discard_uncommitted(_error: BaseException | None) -> None:
    """Whatever a request did not commit is undone when it ends (errors included); a read
    that changed nothing is left to the app context's end."""
    if not db.session.registry.has():  # no session was used (Core reads only)
        return
    session = db.session
    if request.method in SAFE_METHODS and not (session.new or session.dirty or session.deleted):
        return
    faults.end_session()


def init_app(app: Flask) -> None:
    app.teardown_request(_discard_uncommitted)
