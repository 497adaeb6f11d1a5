"""What the tests of curators' writes share: the event and source they edit, and reading a
resource with its ETag."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

EVENT = "soyuz-ms-19-launch"
SOURCE = "004_ba6c03b084f54831"  # cited by EVENT


def get(client: FlaskClient, url: str) -> tuple[dict[str, Any], str]:
    response = client.get(url)
    assert response.status_code == 200, response.json
    return response.json, response.headers["ETag"].strip('"')
