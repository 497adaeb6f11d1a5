"""What the tests of curators' writes share: the event and source they edit, reading a
resource with its ETag, and checking a problem+json answer."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

EVENT = "soyuz-ms-19-launch"
SOURCE = "004_ba6c03b084f54831"  # cited by EVENT


def get(client: FlaskClient, url: str) -> tuple[dict[str, Any], str]:
    response = client.get(url)
    assert response.status_code == 200, response.json
    return response.json, response.headers["ETag"].strip('"')


def assert_problem(response: Any, status: int, *words: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    for word in words:
        assert word in response.json["detail"], response.json["detail"]
