"""Feeds that push (WebSub): with a hub configured the feeds name it and themselves, and
a committed change pings a hub (here a local HTTP server) without waiting for it."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
from curation_common import EVENT, get
from flask import Flask
from flask.testing import FlaskClient

FEEDS = ["http://localhost/v1/missions/the-challenge/feed.atom",
         "http://localhost/v1/missions/the-challenge/feed.json"]


class Hub:
    """A hub that records each publish ping; ``hold`` keeps it from answering."""

    def __init__(self) -> None:
        self.pings: list[dict[str, list[str]]] = []
        self.arrived, self.release = threading.Event(), threading.Event()
        self.release.set()
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # http.server's name for it
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                hub.pings.append(parse_qs(body))
                hub.arrived.set()
                hub.release.wait(10)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hub"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int) -> list[dict[str, list[str]]]:
        deadline = time.monotonic() + 10
        while len(self.pings) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.pings


@pytest.fixture
def hub(curated: Flask) -> Iterator[Hub]:
    hub = Hub()
    curated.config["WEBSUB_HUB"] = hub.url
    yield hub
    hub.release.set()
    hub.server.shutdown()
    hub.server.server_close()


def pinged(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "api.websub"]


def retitle(client: FlaskClient, alice: dict[str, str], title: str) -> None:
    url = f"/v1/events/{EVENT}"
    _, etag = get(client, url)
    response = client.patch(url, json={"title": title}, headers={**alice, "If-Match": f'"{etag}"'})
    assert response.status_code == 200


def test_feeds_name_the_hub_and_themselves_only_when_one_is_configured(
    curated: Flask, client: FlaskClient
) -> None:
    atom = client.get("/v1/missions/the-challenge/feed.atom")
    assert 'rel="hub"' not in atom.get_data(as_text=True) and "Link" not in atom.headers
    assert "hubs" not in client.get("/v1/missions/the-challenge/feed.json").json
    curated.config["WEBSUB_HUB"] = "https://hub.example.org/"  # (set before starting)
    curated.extensions["response_cache"].clear()
    atom = client.get("/v1/missions/the-challenge/feed.atom")
    assert '<link href="https://hub.example.org/" rel="hub"/>' in atom.get_data(as_text=True)
    assert f'<link href="{FEEDS[0]}" rel="self"' in atom.get_data(as_text=True)
    assert atom.headers["Link"] == (
        f'<https://hub.example.org/>; rel="hub", <{FEEDS[0]}>; rel="self"')
    feed = client.get("/v1/missions/the-challenge/feed.json")
    assert feed.json["hubs"] == [{"type": "WebSub", "url": "https://hub.example.org/"}]
    assert feed.json["feed_url"] == FEEDS[1]
    assert f'<{FEEDS[1]}>; rel="self"' in feed.headers["Link"]


def test_a_committed_change_pings_the_hub_for_its_missions_feeds(
    hub: Hub, client: FlaskClient, alice: dict[str, str]
) -> None:
    retitle(client, alice, "Soyuz MS-19 lifts off")
    pings = hub.wait_for(2)
    assert sorted(p["hub.url"][0] for p in pings) == FEEDS
    assert all(p["hub.mode"] == ["publish"] for p in pings)
    refused = client.patch(f"/v1/events/{EVENT}", json={"title": "x"},
                           headers={**alice, "If-Match": '"stale"'})
    assert refused.status_code == 412
    time.sleep(0.3)
    assert len(hub.pings) == 2  # nothing committed: no ping


def test_a_ping_never_holds_up_the_write_and_a_failure_is_only_logged(
    hub: Hub, curated: Flask, client: FlaskClient, alice: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    hub.release.clear()  # the hub takes the ping and does not answer
    retitle(client, alice, "Soyuz MS-19 lifts off")
    assert hub.arrived.wait(10)  # it was sent, and the write answered meanwhile
    assert not hub.release.is_set()
    hub.release.set()
    hub.wait_for(2)

    hub.server.shutdown()
    hub.server.server_close()  # now nothing listens there
    with caplog.at_level(logging.WARNING, logger="api.websub"):
        retitle(client, alice, "Soyuz MS-19 lifts off again")
        deadline = time.monotonic() + 10
        while len(pinged(caplog)) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    assert [r.getMessage().split(" failed")[0] for r in pinged(caplog)] == [
        f"WebSub ping of {hub.url} for {feed}" for feed in FEEDS]
    assert client.get(f"/v1/events/{EVENT}").json["title"] == "Soyuz MS-19 lifts off again"
