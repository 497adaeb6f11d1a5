"""Whom the API believes: host names on its allow-list, forwarded headers from trusted
proxies only, and ETags that do not depend on the host name a client used."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from support import assert_problem, bearer, make_app

from api import create_app

HOSTS = ("api.example.org", ".mirror.example.net", "localhost")
EVENT = "/v1/events/soyuz-ms-19-launch"


@pytest.fixture
def hosted(backend: str, tmp_path: Path) -> Iterator[Flask]:
    yield from make_app(backend, tmp_path, seeded=True, ALLOWED_HOSTS=HOSTS)


def test_an_unknown_host_name_is_refused_before_any_link_is_written(hosted: Flask) -> None:
    client = hosted.test_client()
    for path in ("/", "/v1/events?limit=2", EVENT):
        response = client.get(path, headers={"Host": "evil.example"})
        assert_problem(response, 400, "evil.example")
        assert "http://evil.example" not in response.get_data(as_text=True)
    for host in ("api.example.org", "api.example.org:8443", "eu.mirror.example.net"):
        response = client.get("/", headers={"Host": host})
        assert response.status_code == 200
        assert response.json["links"]["events"] == f"http://{host}/v1/events"
    # Load balancers probe by address: the probes answer whatever the host.
    assert client.get("/healthz", headers={"Host": "10.1.2.3"}).status_code == 200


def test_a_forwarded_host_is_checked_too() -> None:
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "PROXY_COUNT": 1, "ALLOWED_HOSTS": ("api.example.org",)})
    client = app.test_client()  # its peer is 127.0.0.1: a trusted proxy by default
    response = client.get("/openapi.json", headers={"X-Forwarded-Host": "evil.example",
                                                    "Host": "api.example.org"})
    assert response.status_code == 400


def limited(**config: object) -> Flask:
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                       "RATELIMIT_ENABLED": True, "RATELIMIT_READ": "3 per minute",
                       "PROXY_COUNT": 1, "TRUSTED_PROXIES": ("10.0.0.0/24",), **config})


def test_rotating_x_forwarded_for_from_an_untrusted_peer_does_not_reset_the_budget() -> None:
    client = limited().test_client()
    statuses = [client.get("/openapi.json", environ_base={"REMOTE_ADDR": "9.9.9.9"},
                           headers={"X-Forwarded-For": f"1.2.3.{i}"}).status_code
                for i in range(5)]
    assert statuses == [200, 200, 200, 429, 429]


def test_a_trusted_proxy_forwards_each_clients_address() -> None:
    client = limited().test_client()
    proxy = {"REMOTE_ADDR": "10.0.0.7"}
    for _ in range(3):
        client.get("/openapi.json", environ_base=proxy, headers={"X-Forwarded-For": "5.5.5.5"})
    assert client.get("/openapi.json", environ_base=proxy,
                      headers={"X-Forwarded-For": "5.5.5.5"}).status_code == 429
    assert client.get("/openapi.json", environ_base=proxy,
                      headers={"X-Forwarded-For": "6.6.6.6"}).status_code == 200


def test_the_etag_is_the_same_through_every_host_name(hosted: Flask) -> None:
    client = hosted.test_client()
    one = client.get(EVENT, headers={"Host": "api.example.org"})
    other = client.get(EVENT, headers={"Host": "eu.mirror.example.net"})
    assert one.json["links"] != other.json["links"]  # absolute links, one per host
    assert one.headers["ETag"] == other.headers["ETag"]
    # An edit prepared through one name is accepted through another.
    response = client.patch(EVENT, json={"title": "Soyuz MS-19 lifts off"}, headers={
        "Host": "eu.mirror.example.net", **bearer(hosted, "dora"),
        "If-Match": one.headers["ETag"]})
    assert response.status_code == 200, response.json
    assert client.get(EVENT, headers={"Host": "api.example.org"}).headers["ETag"] == \
        response.headers["ETag"]


def test_a_forwarded_prefix_or_port_never_reaches_a_link() -> None:
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "PROXY_COUNT": 1, "ALLOWED_HOSTS": ("api.example.org",)})
    client = app.test_client()  # its peer is 127.0.0.1: a trusted proxy
    response = client.get("/", headers={"Host": "api.example.org",
                                        "X-Forwarded-Prefix": "@evil.example",
                                        "X-Forwarded-Port": "6666",
                                        "Forwarded": "host=evil.example;proto=https"})
    assert response.status_code == 200
    assert response.json["links"]["events"] == "http://api.example.org/v1/events"


@pytest.mark.parametrize("headers", [
    {}, {"Host": "evil.example"}, {"X-Forwarded-Host": "evil.example"},
    {"X-Forwarded-Proto": "http", "X-Forwarded-Prefix": "/evil"},
])
def test_links_come_from_the_public_base_url_whatever_the_request_says(
    backend: str, tmp_path: Path, headers: dict[str, str],
) -> None:
    made = make_app(backend, tmp_path, seeded=True, PROXY_COUNT=1,
                    PUBLIC_BASE_URL="https://api.example.org/timeline")
    client = next(made).test_client()
    for path in ("/", EVENT):
        response = client.get(path, headers=headers)
        assert response.status_code == 200
        links = list(response.json["links"].values())
        assert links and all(link.startswith("https://api.example.org/timeline/")
                             for link in links if isinstance(link, str)), links
        assert "evil" not in response.get_data(as_text=True)
    next(made, None)
