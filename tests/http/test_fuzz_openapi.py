"""Schemathesis holds the API to its own /openapi.json: every check, every phase.

The CLI runs against a live server on a freshly seeded database, with a curator's write
token and rate limits off (TESTING): the examples, coverage, fuzzing and stateful phases,
``--checks all``, a bounded number of examples and a fixed seed. Zero failures is the bar.
The few schema-valid requests the API rightly refuses (a generated If-Match or cursor, a
quote absent from its source) are dropped by tests/http/fuzz_hooks.py, which says why;
the run's summary counts them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).with_name("schemathesis.toml")
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
SEED = os.environ.get("FUZZ_SEED", "20211005")  # Soyuz MS-19's launch; any fixed seed


@pytest.fixture
def app(live_writable_app: Flask) -> Flask:
    return live_writable_app  # the stateful phase writes: a database of its own


def test_the_fuzzer_sees_every_route(app: Flask) -> None:
    documented = {
        (method.upper(), path)
        for path, operations in app.test_client().get("/openapi.json").get_json()["paths"].items()
        for method in operations if method != "parameters"
    }
    served = {
        (method, re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule))
        for rule in app.url_map.iter_rules()
        if not rule.rule.startswith(("/docs", "/openapi.json", "/static"))
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert served <= documented


def test_schemathesis_finds_no_failure_with_every_check_and_the_stateful_phase(
    app: Flask, live_server
) -> None:
    command = [
        str(Path(sys.executable).with_name("schemathesis")), "--config-file", str(CONFIG),
        "run", live_server.url("/openapi.json"),
        "--checks", "all", "--phases", "examples,coverage,fuzzing,stateful",
        "--max-examples", str(EXAMPLES), "--seed", SEED, "--workers", "1",
        "--header", f"Authorization: Bearer {app.config['WRITE_TOKEN']}",
        "--no-color",
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.http.fuzz_hooks"}
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=600)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    summary = output[output.rindex("SUMMARY"):]
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert f"✅ {phase}" in summary, summary  # each phase ran and passed
