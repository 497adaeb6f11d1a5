"""Schemathesis fuzzes every operation of the app's own /openapi.json on the seeded data.

Valid and invalid parameters alike must get a documented status, content type, headers
and body: no 5xx, nothing undocumented. (Opaque cursors and dates are checked by the app,
not by the schema, so "any schema-valid input is accepted" is not asserted.)
"""

from __future__ import annotations

import re

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
EXAMPLES = 30


@pytest.fixture
def app(seeded_app: Flask) -> Flask:
    return seeded_app


def operations(app: Flask) -> list[schemathesis.APIOperation]:
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def test_the_fuzzer_sees_every_route(app: Flask) -> None:
    documented = {(op.method.upper(), op.path) for op in operations(app)}
    served = {
        (method, re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule))
        for rule in app.url_map.iter_rules()
        if not rule.rule.startswith(("/docs", "/openapi.json", "/static", "/embed/timelinejs"))
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert served <= documented


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                         ids=["valid", "invalid"])
def test_every_operation_answers_as_documented(app: Flask, mode: GenerationMode) -> None:
    ran = []
    for operation in operations(app):
        inputs = (operation.path_parameters, operation.query, operation.body)
        if mode is GenerationMode.NEGATIVE and not any(len(part) for part in inputs):
            continue  # nothing to make invalid

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        def fuzz(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=CHECKS)

        try:
            fuzz()
        except Unsatisfiable:
            # A free-form string path parameter (an id) has no invalid value to send.
            if mode is GenerationMode.POSITIVE or len(operation.query) or len(operation.body):
                raise
            continue
        ran.append(operation.label)
    # Every operation with valid inputs; every list (they take query parameters) with invalid.
    assert len(ran) >= (10 if mode is GenerationMode.POSITIVE else 4), ran
