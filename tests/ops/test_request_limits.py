"""gunicorn's own 414/431 answers (outside the app; problem+json from gunicorn.conf.py)
are unreachable within the limits the OpenAPI document states: the longest request it
allows fits gunicorn's limits."""

from __future__ import annotations

import http.client
import json
import runpy
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from test_gunicorn import ROOT, Server

from api import create_app

WIDE = "\U0001f680"  # four UTF-8 bytes: twelve characters once percent-encoded


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return app.test_client().get("/openapi.json").get_json()


def _schema(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    return spec["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else schema


def _longest(spec: dict[str, Any], parameter: dict[str, Any]) -> Any:
    """The longest value the document allows for ``parameter``, as long as it can be (a
    list of its longest items for a repeated parameter)."""
    schema = _schema(spec, parameter["schema"])
    if schema.get("type") == "array":
        item = _longest(spec, {**parameter, "schema": schema["items"]})
        return [item] * schema["maxItems"]
    if "enum" in schema:
        return max(schema["enum"], key=len)
    if schema.get("type") == "boolean":
        return "false"
    if schema.get("type") == "integer":
        return str(schema.get("maximum", 10**9))
    if "maxLength" not in schema:
        assert schema.get("pattern"), f"{parameter['name']} has no bound"
        return "2021-10-05"  # the date pattern: at most ten characters
    free = schema.get("pattern") in (None, r"^[^\x00]*$")
    return (WIDE if free else "a") * schema["maxLength"]


def longest_requests(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, str]]]:
    """(method, target, headers) of each operation with every parameter at its longest."""
    for path, operations in spec["paths"].items():
        shared = operations.get("parameters", [])
        for method, operation in operations.items():
            if method == "parameters":
                continue
            parameters = shared + operation.get("parameters", [])
            target = path
            for p in (p for p in parameters if p["in"] == "path"):
                target = target.replace(f"{{{p['name']}}}", quote(_longest(spec, p), safe=""))
            query = {p["name"]: _longest(spec, p) for p in parameters if p["in"] == "query"}
            headers = {p["name"]: _longest(spec, p) for p in parameters if p["in"] == "header"}
            line = target + ("?" + urlencode(query, doseq=True) if query else "")
            yield method.upper(), line, headers


def test_the_longest_documented_request_fits_gunicorns_limits(spec: dict[str, Any]) -> None:
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    lines = {f"{m} {t}": len(f"{m} {t} HTTP/1.1") for m, t, _ in longest_requests(spec)}
    longest = max(lines, key=lines.__getitem__)
    assert lines[longest] < config["limit_request_line"], longest
    fields = [len(k) + 2 + len(v) for *_, h in longest_requests(spec) for k, v in h.items()]
    assert max(fields) < config["limit_request_field_size"]
    assert lines[longest] > 3000  # the bound is tight enough to matter (q, cursor)


@pytest.mark.slow
def test_gunicorn_answers_the_longest_documented_requests_itself_never(
    spec: dict[str, Any], tmp_path: Path
) -> None:
    server = Server(tmp_path, count=1)
    try:
        for method, target, headers in longest_requests(spec):
            if method != "GET":
                continue
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            conn.request(method, target, headers=headers)
            response = conn.getresponse()
            body = response.read()
            conn.close()
            assert response.status not in (414, 431, 400) or response.getheader(
                "Content-Type", "").startswith("application/problem+json"), (target, body)
            if response.status >= 400 and response.status != 404:
                assert json.loads(body)["status"] == response.status
    finally:
        server.stop()
        server.log.close()
