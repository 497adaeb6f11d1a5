"""One JSON log line per request, request ids, and Prometheus metrics."""

from __future__ import annotations

import json
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api.http.observability import JsonFormatter


@pytest.fixture
def app(seeded_app: Flask) -> Flask:
    return seeded_app


def request_logs(caplog: pytest.LogCaptureFixture) -> list[dict]:
    formatter = JsonFormatter()
    return [json.loads(formatter.format(r)) for r in caplog.records if r.name == "api.access"]


def test_one_json_line_per_request_without_personal_data(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="api.access")
    response = client.get(
        "/v1/events?q=jane.doe@example.org&limit=2",
        headers={"Authorization": "Bearer s3cr3t-token", "Cookie": "session=abc",
                 "X-Request-ID": "trace-42"},
    )
    [line] = request_logs(caplog)
    assert line["request_id"] == "trace-42" == response.headers["X-Request-ID"]
    assert line["method"] == "GET" and line["path"] == "/v1/events"
    assert line["endpoint"] == "events.Events" and line["status"] == 200
    assert line["duration_ms"] > 0 and line["bytes"] == len(response.get_data())
    assert line["level"] == "info" and line["time"].endswith("+00:00")
    text = json.dumps(line)
    for secret in ("jane.doe", "s3cr3t", "session=abc", "Bearer", "127.0.0.1"):
        assert secret not in text


def test_a_304_or_a_head_logs_no_body_bytes(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    """The log's ``bytes`` are the body sent: a 304 and a HEAD send none, although their
    Content-Length may give the full representation's."""
    etag = client.get("/v1/events?limit=2").headers["ETag"]
    caplog.set_level("INFO", logger="api.access")
    assert client.get("/v1/events?limit=2", headers={"If-None-Match": etag}).status_code == 304
    assert client.head("/v1/events?limit=2").status_code == 200
    assert [line["bytes"] for line in request_logs(caplog)[-2:]] == [0, 0]


@pytest.mark.parametrize("given", ["", "x" * 129, "bad id", "<script>", "a\u00e9b", "id;drop"])
def test_unsafe_request_ids_are_replaced(client: FlaskClient, given: str) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": given})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_request_ids_are_unique_and_echoed_on_errors(client: FlaskClient) -> None:
    ids = {client.get("/v1/events/nope").headers["X-Request-ID"] for _ in range(5)}
    assert len(ids) == 5
    response = client.get("/v1/events?limit=0", headers={"X-Request-ID": "abc-123_x.y:z"})
    assert response.status_code == 400 and response.headers["X-Request-ID"] == "abc-123_x.y:z"


def metric(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no {name}{{{wanted}}} in /metrics")


def test_metrics_count_requests_and_time_them_by_endpoint_and_status(
    client: FlaskClient,
) -> None:
    def scrape() -> str:
        response = client.get("/metrics")
        assert response.status_code == 200 and response.mimetype == "text/plain"
        assert response.headers["Cache-Control"] == "no-store"
        return response.get_data(as_text=True)

    client.get("/v1/events/nope")
    before = scrape()
    for _ in range(3):
        client.get("/v1/events/nope")
    client.get("/v1/events?limit=1")
    after = scrape()
    labels = {"method": "GET", "endpoint": "events.Event", "status": "404"}
    assert metric(after, "http_requests_total", **labels) == (
        metric(before, "http_requests_total", **labels) + 3)
    assert metric(after, "http_request_duration_seconds_count", **labels) == (
        metric(before, "http_request_duration_seconds_count", **labels) + 3)
    assert metric(after, "http_request_duration_seconds_bucket", le="+Inf",
                  endpoint="events.Events", status="200") >= 1


def test_unmatched_paths_share_one_label(client: FlaskClient) -> None:
    client.get("/no/such/path/12345")
    text = client.get("/metrics").get_data(as_text=True)
    assert "/no/such/path" not in text
    assert metric(text, "http_requests_total", endpoint="unmatched", status="404") >= 1


def test_made_up_methods_add_no_series(client: FlaskClient) -> None:
    paths = ("/v1/events", "/no/such/path", "/healthz")
    for path in paths:
        client.open(path, method="BREW")
    before = client.get("/metrics").get_data(as_text=True)
    for n in range(40):
        for path in paths:
            response = client.open(path, method=f"X{n}ZZY")
            assert response.status_code in (404, 405, 501)
            assert response.mimetype == "application/problem+json"
    after = client.get("/metrics").get_data(as_text=True)
    methods = set(re.findall(r'method="([^"]*)"', after))
    assert methods <= {"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE", "other"}
    # The made-up methods share the series the first one made (and /metrics its own).
    series = {line.rsplit(" ", 1)[0] for line in after.splitlines() if "metrics" not in line}
    assert series == {line.rsplit(" ", 1)[0] for line in before.splitlines()
                      if "metrics" not in line}
    assert metric(after, "http_requests_total", method="other", endpoint="unmatched",
                  status="404") >= 40
