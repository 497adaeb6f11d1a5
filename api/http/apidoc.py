"""The OpenAPI document as a contract generated clients and fuzzers can trust.

One apispec plugin, applied to every operation registered after ``init_app``, documents
every response code as ``application/problem+json`` (replacing flask-smorest's generic
errors), derives readable ``operationId``s (``list_events``, ``create_event``...) unless a
view sets its own, requires ``If-Match`` on PATCH, DELETE and PUT (``writes.check_if_match``),
names the enumerations of ``schemas.common.ENUMS`` once, and gives path parameters
examples that name seeded records, so /docs "Try it out" finds data.
"""

from __future__ import annotations

import re
from typing import Any

from apispec import BasePlugin
from flask import Flask

from api.extensions import smorest
from api.http.errors import PROBLEM
from api.http.writes import ETAG_PATTERN, MAX_IF_MATCH
from schemas.common import ENUM_VARNAMES, ENUMS
from schemas.problem import ProblemSchema

ERRORS = {
    "400": "Invalid parameter: `detail` names it, `errors` lists every one.",
    "404": "No such resource.",
    "405": "Method not allowed here; see the `Allow` header.",
    "413": "The request body is too large.",
    "422": "Invalid body field: `detail` names it, `errors` lists every one.",
    "429": "Too many requests from this client; see `Retry-After`.",
    "500": "Unexpected error (reported to the operators).",
    "503": "The database is unreachable; see `Retry-After`.",
}
AUTH_ERRORS = {  # referred to by api/http/auth.py on the operations it secures
    "401": "No valid token; see `WWW-Authenticate`.",
    "403": "The token lacks the scope this operation needs.",
}
BODY_ERRORS = {"415": "The body's media type is not one this operation reads."}
CONDITIONAL_ERRORS = {
    "412": "`If-Match` does not name the current ETag: GET the resource again.",
    "428": "`If-Match` is missing: send the ETag of your last GET.",
}
WWW_AUTHENTICATE = {"description": "The bearer challenge (RFC 6750).",
                    "schema": {"type": "string"}}
ETAG = {"description": "The representation's entity tag: send it back as `If-Match` to "
                   "change the resource, or `If-None-Match` to revalidate.",
        "schema": {"type": "string"}}
RETRY_AFTER = {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}}
IF_MATCH = {
    "name": "If-Match", "in": "header", "required": True,
    "description": "The `ETag` of your last GET of this resource: the change applies only "
                   "if no one changed it since (else 412).",
    "schema": {"type": "string", "pattern": ETAG_PATTERN, "maxLength": MAX_IF_MATCH},
    "example": '"0123456789abcdef0123456789abcdef"',
}
IF_NONE_MATCH = {
    "name": "If-None-Match", "in": "header", "required": False,
    "description": "`*` to store the first version, when none exists yet (instead of "
                   "`If-Match`; else 412).",
    "schema": {"type": "string", "pattern": r"^\*$"},
}
# A PUT replaces what may not exist yet: If-Match, or If-None-Match: * for the first one.
CONDITIONS = {
    "patch": [IF_MATCH], "delete": [IF_MATCH],
    "put": [{**IF_MATCH, "required": False}, IF_NONE_MATCH],
}
VERBS = {"post": "create", "patch": "update", "delete": "delete", "put": "replace"}
# Seeded records, so that /docs "Try it out" answers with data: path prefix -> example id.
PATH_EXAMPLES = {
    "/v1/missions/{id}": "the-challenge",
    "/v1/events/{id}": "soyuz-ms-19-launch",
    "/v1/sources/{id}": "003_edd1603faf14b1a0",
    "/v1/people/{id}": "yulia-peresild",
    "/v1/citations/{id}": 1,
    "/v1/webhooks/{id}": 1,  # the first subscription made
    "/embed/{mission}": "the-challenge",
}
PLURALS = {"People": "Person"}
# Ids are slugs of at most 100 characters; this bound keeps request lines short.
MAX_PATH_PARAMETER = 200


def _problem(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def snake(name: str) -> str:
    """``EventCitations`` -> ``event_citations``; ``TimelineJSAsset`` -> ``timeline_js_asset``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def operation_id(endpoint: str, method: str) -> str:
    """``events.Events``: get -> ``list_events``, post -> ``create_event``; ``events.Event``:
    get -> ``get_event``. A GET of a plural name lists; other methods name one record."""
    name = endpoint.rpartition(".")[2]
    singular = PLURALS.get(name) or (name[:-1] if name.endswith("s") else name)
    if method == "get":
        return ("list_" if singular != name else "get_") + snake(name)
    return f"{VERBS.get(method, method)}_{snake(singular)}"


def named_enums(node: Any) -> Any:
    """``node`` (a JSON schema) with every inline enum of ``ENUMS`` replaced by its $ref."""
    if isinstance(node, list):
        return [named_enums(item) for item in node]
    if not isinstance(node, dict):
        return node
    values = tuple(node.get("enum") or ())
    for name, members in ENUMS.items():
        if values == members:
            kept = {k: v for k, v in node.items() if k in ("description", "default", "example")}
            return {"$ref": f"#/components/schemas/{name}", **kept}
    return {key: named_enums(value) for key, value in node.items()}


def _link_writes(operations: dict[str, Any], arguments: Any) -> None:
    """A GET's 200 documents its ETag and links to the PATCH and DELETE of the resource
    with that ETag as If-Match."""
    ok = operations.get("get", {}).get("responses", {}).get(200)
    if not isinstance(ok, dict):
        return
    ok.setdefault("headers", {})["ETag"] = ETAG
    for method in ("patch", "delete"):
        if method in operations:
            parameters = {f"path.{name}": f"$request.path.{name}" for name in arguments}
            ok.setdefault("links", {})[operations[method]["operationId"]] = {
                "operationId": operations[method]["operationId"],
                "parameters": {**parameters, "header.If-Match": "$response.header.ETag"},
            }


class ContractPlugin(BasePlugin):
    def init_spec(self, spec: Any) -> None:
        spec.components.schema("Problem", schema=ProblemSchema)
        for code, description in (ERRORS | AUTH_ERRORS | BODY_ERRORS | CONDITIONAL_ERRORS
                                   ).items():
            response = _problem(description)
            if code in ("429", "503"):
                response["headers"] = {"Retry-After": RETRY_AFTER}
            if code in AUTH_ERRORS:
                response["headers"] = {"WWW-Authenticate": WWW_AUTHENTICATE}
            spec.components.response(f"Problem{code}", response)
        spec.components.response("ProblemDefault", _problem("Error."))
        for name, values in ENUMS.items():
            enum: dict[str, Any] = {"type": "string", "enum": list(values)}
            if name in ENUM_VARNAMES:
                enum["x-enum-varnames"] = list(ENUM_VARNAMES[name])
            spec.components.schema(name, enum)

    def schema_helper(self, name: str, definition: dict, **kwargs: Any) -> dict | None:
        if name in ENUMS:
            return None
        definition.update(named_enums(definition))
        return None

    def operation_helper(self, path: str | None = None, operations: dict | None = None,
                         **kwargs: Any) -> None:
        operations, rule = operations or {}, kwargs.get("rule")
        if rule is not None:
            for method, operation in operations.items():
                operation.setdefault("operationId", operation_id(rule.endpoint, method))
            _link_writes(operations, rule.arguments)
        for method, operation in operations.items():
            operation["parameters"] = named_enums(operation.get("parameters", []))
            responses = operation.setdefault("responses", {})
            for code in [c for c in responses if not isinstance(c, str)]:
                responses[str(code)] = responses.pop(code)
            codes = list(ERRORS)
            if "requestBody" in operation:
                codes += list(BODY_ERRORS)
            if method in ("patch", "delete", "put"):
                codes += list(CONDITIONAL_ERRORS)
                operation["parameters"] += CONDITIONS[method]
            for code in codes:
                response = responses.get(code)
                if isinstance(response, dict) and "text/html" in response.get("content", {}):
                    # an HTML page (/embed) answers its errors as a page; what the
                    # pipeline refuses first is still a problem
                    response["content"][PROBLEM] = _problem("")["content"][PROBLEM]
                    continue
                if code != "422" or code in responses:  # 422 only where a body is read
                    responses[code] = f"Problem{code}"
            responses["default"] = "ProblemDefault"
            if method == "get":
                responses.setdefault("304", {"description": "Not Modified: the ETag matched."})

    def path_helper(self, path: str | None = None, operations: dict | None = None,
                    parameters: list | None = None, **kwargs: Any) -> str | None:
        example = next((v for prefix, v in PATH_EXAMPLES.items()
                        if path and path.startswith(prefix)), None)
        for parameter in parameters or []:
            if parameter.get("in") != "path":
                continue
            if parameter["name"] == "number":  # a revision: every record has its first
                parameter.setdefault("example", 1)
            elif example is not None:
                parameter.setdefault("example", example)
            if parameter["schema"].get("type") == "string":  # NUL is refused in any path
                parameter["schema"].setdefault("pattern", r"^[^\x00]+$")
                parameter["schema"].setdefault("maxLength", MAX_PATH_PARAMETER)
        return None


def init_app(app: Flask) -> None:
    """Call after ``smorest.init_app`` and before any blueprint is registered."""
    plugin = ContractPlugin()
    plugin.init_spec(smorest.spec)
    smorest.spec.plugins.append(plugin)
    # flask-smorest's own error and page-metadata shapes: the API answers neither (errors
    # are Problems, pages link `next`), so generated clients should not get them.
    for unused in ("Error", "PaginationMetadata"):
        smorest.spec.components.schemas.pop(unused, None)
