"""What every write shares: the JSON body, validation, If-Match, compare-and-swap, commit.

A write runs in one transaction: any error aborts the request before ``commit`` and the
session is rolled back when the request ends, so nothing changes.
"""

from __future__ import annotations

from typing import Any, NoReturn

from flask import Flask, g, request, url_for
from flask_smorest import abort
from marshmallow import Schema, ValidationError
from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value

from api.domain import history
from api.domain.quotes import unverifiable
from api.domain.store import apply, touch
from api.extensions import db
from api.http.cache import representation_etag
from api.http.errors import problem
from api.models import Event
from api.queries import taken
from schemas.seedform import seed_form

JSON_TYPES = ("application/json", "application/merge-patch+json")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def json_body() -> dict[str, Any]:
    """The request's JSON object: 415 for another media type, 400 for malformed JSON."""
    if request.mimetype not in JSON_TYPES:
        abort(problem(415, f"Send the body as application/json, not "
                      f"'{request.mimetype or 'nothing'}'."))
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(problem(400, "The body must be a JSON object."))
    return body


def invalid(messages: dict[str, Any]) -> NoReturn:
    """422 problem+json naming each invalid field."""
    abort(422, messages={"json": messages})


def load(schema: Schema, data: dict[str, Any]) -> dict[str, Any]:
    """Validate ``data`` with the same schema the seed files use; unknown fields are errors."""
    try:
        return schema.load(data)
    except ValidationError as err:
        invalid(err.messages)  # type: ignore[arg-type]


def merged(current: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """A PATCH body applied to a record's seed form (top-level merge); the id stays."""
    if "id" in patch and patch["id"] != current.get("id"):
        invalid({"id": ["The id cannot change."]})
    return {**current, **patch}


etag = representation_etag  # the ETag a GET of ``obj`` answers with (api/http/cache/policy.py)


def check_if_match(current: str | None) -> None:
    """PATCH and DELETE must name the current ETag: 428 without If-Match, 412 when stale.
    ``None``: nothing is there yet, and ``If-None-Match: *`` creates it."""
    if current is None:
        if request.if_none_match.star_tag and "If-Match" not in request.headers:
            return
        abort(problem(412 if "If-Match" in request.headers else 428,
                      "Nothing is stored here yet: send If-None-Match: * to create it."))
    if "If-Match" not in request.headers or request.if_match.star_tag:
        abort(problem(428, "Send If-Match with the ETag of your last GET of this resource, "
                      "so no one's change is overwritten unseen."))
    if not request.if_match.contains(current):
        abort(problem(412, "The resource changed since your GET: fetch it again, reapply "
                      "your change, and send the new ETag.", headers={"ETag": f'"{current}"'}))


def claim(obj: Any) -> None:
    """Compare-and-swap ``obj``'s version: exactly one concurrent writer wins, others get 412.

    The conditional UPDATE is atomic on every backend (PostgreSQL makes a second writer
    wait for the first and then re-checks the version), so two requests that read the
    same version cannot both write.
    """
    model = type(obj)
    done = db.session.execute(
        update(model).where(model.id == obj.id, model.version == obj.version)
        .values(version=obj.version + 1).execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        db.session.rollback()
        abort(problem(412, "Someone else changed this resource at the same moment: fetch it "
                      "again and reapply your change."))
    set_committed_value(obj, "version", obj.version + 1)


def commit() -> None:
    """End a write: mark the data changed and commit."""
    touch()
    db.session.commit()


def save_event(event: Event, action: str = "update") -> None:
    """Check the event's quotes, keep a revision of it, and commit."""
    db.session.flush()
    failed = unverifiable(event.citations)
    if failed:
        invalid({"citations": {
            event.citations.index(c): {"quote": [
                f"The quote does not occur in the text of source '{c.source_id}' "
                "(whitespace and typographic quotes aside)."
            ]} for c in failed
        }})
    history.record(event, g.curator, action)
    commit()


def check_references(refs: list[tuple[str, type[db.Model], str]]) -> None:
    """422 naming every ``(field, model, id)`` whose id does not exist."""
    missing = {field: [f"Unknown id '{ident}'."] for field, model, ident in refs
               if db.session.get(model, ident) is None}
    if missing:
        invalid(missing)


def create(model: type[db.Model], schema: Schema) -> Any:
    """POST: a new person or source from the body (its first revision); 409 when its id
    is taken."""
    data = load(schema, json_body())
    if taken(model, data["id"]):
        abort(problem(409, f"The id '{data['id']}' is taken."))
    obj = model(id=data["id"])
    db.session.add(obj)
    apply(obj, data)
    history.record_other(obj, g.curator, "create")
    commit()
    return obj


def change(obj: Any, schema_cls: type[Schema], shown: Any) -> None:
    """PATCH: merge the body into a person or source ``obj`` if If-Match names the ETag of
    ``shown`` (its GET); the revision keeps the result, a baseline the state before."""
    body = json_body()
    check_if_match(etag(shown, obj))
    data = load(schema_cls(), merged(seed_form(schema_cls, obj), body))
    claim(obj)
    history.baseline(obj)
    apply(obj, data)
    history.record_other(obj, g.curator)
    commit()


def remove(obj: Any, shown: Schema, used_by: str | None) -> None:
    """DELETE: remove ``obj`` if If-Match matches; 409 while ``used_by`` names a user."""
    check_if_match(etag(shown, obj))
    if used_by:
        abort(problem(409, f"Still referred to by {used_by}: change those first."))
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
    """Whatever a request did not commit is undone when it ends (errors included).

    A read that changed nothing needs no rollback of its own: the session is removed when
    the app context ends, which returns its connection (rolled back) to the pool."""
    session = db.session
    if request.method in SAFE_METHODS and not (session.new or session.dirty or session.deleted):
        return
    session.rollback()


def init_app(app: Flask) -> None:
    app.teardown_request(_discard_uncommitted)
