"""Every response code the API can answer is in the OpenAPI document, for every operation.

A plugin adds the errors any request can meet (400, 404, 405, 413, 429, 500, 503; 415 on
writes; 304 on reads) as RFC 9457 ``application/problem+json``, and replaces
flask-smorest's generic error responses with the same shape. It applies to every
operation registered after ``init_app``, so routes added later are covered.
"""

from __future__ import annotations

from typing import Any

from apispec import BasePlugin
from flask import Flask

from api.extensions import smorest
from api.http.errors import PROBLEM
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
WRITE_ERRORS = {"415": "The body must be application/json."}
RETRY_AFTER = {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def _is_page(response: Any) -> bool:
    return isinstance(response, dict) and "text/html" in response.get("content", {})


class ProblemResponses(BasePlugin):
    def init_spec(self, spec: Any) -> None:
        spec.components.schema("Problem", schema=ProblemSchema)
        for code, description in (ERRORS | WRITE_ERRORS).items():
            response = _problem(description)
            if code in ("429", "503"):
                response["headers"] = {"Retry-After": RETRY_AFTER}
            spec.components.response(f"Problem{code}", response)
        spec.components.response("ProblemDefault", _problem("Error."))

    def operation_helper(self, path: str | None = None, operations: dict | None = None,
                         **_: Any) -> None:
        for method, operation in (operations or {}).items():
            responses = operation.setdefault("responses", {})
            for code in [c for c in responses if not isinstance(c, str)]:
                responses[str(code)] = responses.pop(code)
            writes = method in ("post", "put", "patch")
            codes = list(ERRORS) + (list(WRITE_ERRORS) if writes else [])
            for code in codes:
                if _is_page(responses.get(code)):  # an HTML page (/embed) answers its
                    # errors as a page; what the pipeline refuses first is still a problem
                    responses[code]["content"][PROBLEM] = _problem("")["content"][PROBLEM]
                    continue
                if code != "422" or code in responses:  # 422 only where a body is read
                    responses[code] = f"Problem{code}"
            responses["default"] = "ProblemDefault"
            if method == "get":
                responses.setdefault("304", {"description": "Not Modified: the ETag matched."})


def init_app(app: Flask) -> None:
    """Call after ``smorest.init_app`` and before any blueprint is registered."""
    plugin = ProblemResponses()
    plugin.init_spec(smorest.spec)
    smorest.spec.plugins.append(plugin)
