"""Webhooks: subscriptions (write scope), signed deliveries of the change log in order,
back-off and disabling, replay, and private addresses refused."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support import assert_problem, bearer
from webhook_common import LOOPBACK, Receiver, add_missions

from api.webhooks.delivery import deliver_due


@pytest.fixture
def token(app: Flask) -> dict[str, str]:
    app.config["WEBHOOK_ALLOW_NETWORKS"] = LOOPBACK
    return bearer(app, "hooks")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.stop()


def subscribe(client: FlaskClient, token: dict[str, str], receiver: Receiver,
              **body: object) -> dict:
    created = client.post("/v1/webhooks", json={"url": receiver.url, **body}, headers=token)
    assert created.status_code == 201, created.json
    assert created.headers["Location"] == created.json["links"]["self"]
    receiver.secrets.append(created.json["secret"])
    return created.json


def deliver(app: Flask) -> None:
    with app.app_context():
        deliver_due()


def test_entries_arrive_signed_in_order_with_links_and_filters(
    app: Flask, client: FlaskClient, token: dict[str, str], receiver: Receiver
) -> None:
    hook = subscribe(client, token, receiver, filters={"resource": ["mission"]})
    assert hook["secret"].startswith("whsec_")
    assert hook["filters"] == {"resource": ["mission"]}
    shown = client.get(hook["links"]["self"], headers=token)
    assert shown.status_code == 200 and "secret" not in shown.json  # shown once
    assert shown.headers["ETag"] and shown.headers["Cache-Control"] == "private, no-cache"

    seqs = add_missions(app, 3)
    deliver(app)
    assert receiver.seqs() == seqs and receiver.unsigned == 0
    log = client.get(f"/v1/changes?after={seqs[0] - 1}&limit=3").json["items"]
    assert [entry for _, entry in receiver.received] == log  # the entry, links included
    headers = receiver.received[0][0]
    assert headers["webhook-id"] == f"msg_{hook['id']}_0_{seqs[0]}"
    assert client.get(hook["links"]["self"], headers=token).json["last_seq"] == seqs[-1]

    page = client.get(hook["links"]["deliveries"] + "?limit=2", headers=token)
    assert [(d["seq"], d["ok"], d["status"]) for d in page.json["items"]] == [
        (seqs[2], True, 200), (seqs[1], True, 200)]  # newest first, paginated
    assert client.get(page.json["next"], headers=token).json["items"][0]["seq"] == seqs[0]

    other = subscribe(client, token, receiver, filters={"mission": ["nothing-here"]})
    add_missions(app, 1, prefix="x")
    deliver(app)
    assert len(receiver.seqs()) == 4  # the first subscription's only
    assert client.get(other["links"]["self"], headers=token).json["last_seq"] == seqs[-1] + 1


def test_failures_back_off_then_disable_the_subscription_saying_why_and_replay_enables(
    app: Flask, client: FlaskClient, token: dict[str, str], receiver: Receiver
) -> None:
    app.config.update(WEBHOOK_MAX_FAILURES=3, WEBHOOK_RETRY_SECONDS=0)
    hook = subscribe(client, token, receiver)
    [seq] = add_missions(app, 1)
    receiver.status = 503
    app.config["WEBHOOK_RETRY_SECONDS"] = 0.5  # a back-off: no second attempt yet
    deliver(app)
    deliver(app)
    shown = client.get(hook["links"]["self"], headers=token).json
    assert shown["failures"] == 1 and shown["retry_at"] and shown["disabled_at"] is None

    time.sleep(0.5)
    app.config["WEBHOOK_RETRY_SECONDS"] = 0
    for _ in range(4):
        deliver(app)
    shown = client.get(hook["links"]["self"], headers=token).json
    assert shown["disabled_at"] and shown["failures"] == 3
    assert shown["disabled_reason"] == ("Disabled after 3 failed deliveries in a row; the "
                                        "last: The receiver answered 503.")
    attempts = client.get(hook["links"]["deliveries"], headers=token).json["items"]
    assert [(a["seq"], a["attempt"], a["status"], a["ok"]) for a in attempts] == [
        (seq, 3, 503, False), (seq, 2, 503, False), (seq, 1, 503, False)]
    assert len({a["message_id"] for a in attempts}) == 1  # one message, retried

    receiver.status = 200
    replayed = client.post(f"/v1/webhooks/{hook['id']}/replay", json={"after": seq - 1},
                           headers=token)
    assert replayed.status_code == 202
    assert replayed.json["disabled_at"] is None and replayed.json["failures"] == 0
    deliver(app)
    assert receiver.seqs() == [seq] and receiver.unsigned == 0


def test_replay_sends_again_every_entry_after_a_seq(
    app: Flask, client: FlaskClient, token: dict[str, str], receiver: Receiver
) -> None:
    hook = subscribe(client, token, receiver)
    seqs = add_missions(app, 3)
    deliver(app)
    replay = f"/v1/webhooks/{hook['id']}/replay"
    assert client.post(replay, json={"after": seqs[0]}, headers=token).status_code == 202
    deliver(app)
    assert receiver.seqs() == seqs + seqs[1:]
    ids = [headers["webhook-id"] for headers, _ in receiver.received]
    assert len(set(ids)) == 5  # a replay is a new message
    assert_problem(client.post(replay, json={"after": seqs[-1] + 1}, headers=token), 422,
                   "'after'", f"The log ends at {seqs[-1]}.")
    assert client.post(replay, json={"after": "1"}, headers=token).status_code == 422


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/hook", "http://localhost/hook",
                                 "http://10.1.2.3/", "http://169.254.169.254/latest",
                                 "http://2130706433/", "http://0.0.0.0:8080/"])
def test_private_loopback_and_link_local_urls_are_refused(
    app: Flask, client: FlaskClient, url: str
) -> None:
    token = bearer(app, "hooks")
    refused = client.post("/v1/webhooks", json={"url": url}, headers=token)
    assert_problem(refused, 422, "field 'url'", "private, loopback or link-local")
    assert client.get("/v1/webhooks", headers=token).json["items"] == []


def test_bad_subscriptions_name_the_field_and_need_the_write_scope(
    app: Flask, client: FlaskClient, token: dict[str, str]
) -> None:
    for body, field in (({"url": "ftp://example.org/"}, "url"),
                        ({"url": "http://127.0.0.1:99999/"}, "url"),
                        ({"url": "http://127.0.0.1/\x01"}, "url"),
                        ({"url": "http://127.0.0.1/", "filters": {"action": ["edit"]}},
                         "filters.action.0"),
                        ({"url": "http://127.0.0.1/", "filters": {"mission": []}},
                         "filters.mission")):
        assert_problem(client.post("/v1/webhooks", json=body, headers=token), 422,
                       f"field '{field}'")
    assert client.get("/v1/webhooks").status_code == 401
    reader = bearer(app, "reader", "read")
    assert client.get("/v1/webhooks", headers=reader).status_code == 403
    assert client.post("/v1/webhooks", json={"url": "http://127.0.0.1/"},
                       headers=reader).status_code == 403


def test_a_deleted_subscription_is_gone_with_its_deliveries(
    app: Flask, client: FlaskClient, token: dict[str, str], receiver: Receiver
) -> None:
    hook = subscribe(client, token, receiver)
    add_missions(app, 1)
    deliver(app)
    assert client.delete(hook["links"]["self"], headers=token).status_code == 204
    assert_problem(client.get(hook["links"]["self"], headers=token), 404, "No webhook")
    assert client.get(hook["links"]["deliveries"], headers=token).status_code == 404
    add_missions(app, 1, prefix="later")
    deliver(app)
    assert len(receiver.seqs()) == 1


def test_the_worker_checks_the_address_again_before_each_attempt(
    app: Flask, client: FlaskClient, token: dict[str, str], receiver: Receiver
) -> None:
    hook = subscribe(client, token, receiver)
    app.config["WEBHOOK_ALLOW_NETWORKS"] = ()  # the operator no longer allows loopback
    add_missions(app, 1)
    deliver(app)
    assert receiver.seqs() == [] and receiver.unsigned == 0  # no request went out
    [attempt] = client.get(hook["links"]["deliveries"], headers=token).json["items"]
    assert attempt["status"] is None and "private, loopback" in attempt["error"]


def test_a_delivery_resets_the_count_of_failures(
    app: Flask, client: FlaskClient, token: dict[str, str], receiver: Receiver
) -> None:
    app.config["WEBHOOK_RETRY_SECONDS"] = 0
    hook = subscribe(client, token, receiver)
    first, second = add_missions(app, 2)
    receiver.refused = {first}
    deliver(app)
    receiver.refused = {second}
    deliver(app)  # the first goes through, the second fails: its first failure
    shown = client.get(hook["links"]["self"], headers=token).json
    assert (shown["last_seq"], shown["failures"]) == (first, 1)
    attempts = client.get(hook["links"]["deliveries"], headers=token).json["items"]
    assert [(a["seq"], a["attempt"], a["ok"]) for a in attempts] == [
        (second, 1, False), (first, 2, True), (first, 1, False)]
