"""A mission's key event: the event its embed page opens on, set in missions.yaml."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient
from support import make_app

from api.extensions import db
from api.models import Event, utcnow

EMBED = "/embed/the-challenge"
MISSION = "/v1/missions/the-challenge"


@pytest.fixture
def app(backend: str, tmp_path: Path) -> Iterator[Flask]:
    """An empty database of the test's own, seeded by the test from its copy of seeds/."""
    for app in make_app(backend, tmp_path, seeded=False):
        app.config["ARTICLES_DIR"] = ""  # quotes are checked elsewhere (tests/cli)
        yield app


def opens_on(client: FlaskClient, query: str = "") -> tuple[str, str]:
    """The event the embed page opens on, and the query of the document it loads."""
    response = client.get(EMBED + query)
    assert response.status_code == 200, response.data
    html = response.get_data(as_text=True)
    start_at = html.split('data-start-at="', 1)[1].split('"', 1)[0]
    data_url = html.split('data-url="', 1)[1].split('"', 1)[0]
    return start_at, data_url.partition("?")[2]


def seed_key_event(app: Flask, seeds: Path, key_event: str | None) -> None:
    """Edit missions.yaml's key event (``None``: remove it), then ``flask seed --overwrite``."""
    path = seeds / "missions.yaml"
    missions = yaml.safe_load(path.read_text(encoding="utf-8"))
    missions[0].pop("key_event", None)
    if key_event:
        missions[0]["key_event"] = key_event
    path.write_text(yaml.safe_dump(missions, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["seed", "--dir", str(seeds), "--overwrite"])
    assert result.exit_code == 0, result.output


def test_the_page_opens_on_the_key_event_the_seed_file_sets(app: Flask,
                                                             seeds_copy: Path) -> None:
    client = app.test_client()
    seed_key_event(app, seeds_copy, "soyuz-ms-19-launch")  # as seeds/ has it
    assert opens_on(client) == ("soyuz-ms-19-launch", "")
    mission = client.get(MISSION).json
    assert mission["key_event"] == "soyuz-ms-19-launch"
    assert client.get(mission["links"]["key_event"]).json["id"] == "soyuz-ms-19-launch"

    seed_key_event(app, seeds_copy, "crew-returns-to-earth")
    assert opens_on(client) == ("crew-returns-to-earth", "")
    assert opens_on(client, "?start_at=iss-filming")[0] == "iss-filming"  # still overridable
    assert client.get(MISSION).json["key_event"] == "crew-returns-to-earth"

    # A context event as the key event brings the context events along, as start_at does.
    seed_key_event(app, seeds_copy, "first-moon-steps-1969")
    assert opens_on(client) == ("first-moon-steps-1969", "context=1")
    assert opens_on(client, "?context=0") == ("first-moon-steps-1969", "context=0")

    # Unset: the mission's first launch; no link to follow.
    seed_key_event(app, seeds_copy, None)
    assert opens_on(client)[0] == "soyuz-ms-19-launch"
    mission = client.get(MISSION).json
    assert mission["key_event"] is None and "key_event" not in mission["links"]


def test_a_deleted_key_event_falls_back_to_the_first_launch(app: Flask,
                                                            seeds_copy: Path) -> None:
    client = app.test_client()
    seed_key_event(app, seeds_copy, "soyuz-ms-19-docking")
    assert opens_on(client)[0] == "soyuz-ms-19-docking"
    with app.app_context():
        db.session.get(Event, "soyuz-ms-19-docking").deleted_at = utcnow()
        db.session.commit()
    assert opens_on(client)[0] == "soyuz-ms-19-launch"
    assert client.get(client.get(MISSION).json["links"]["key_event"]).status_code == 410
