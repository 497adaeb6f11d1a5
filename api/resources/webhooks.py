"""Webhooks: subscribe a URL to the change log (curators); a worker delivers
(api/webhooks/)."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from api.domain.changelog import data_version
from api.extensions import db
from api.http import writes
from api.http.auth import require
from api.http.errors import Problem
from api.models import utcnow
from api.queries.pagination import paginate
from api.webhooks.addresses import refusal
from api.webhooks.delivery import new_secret
from api.webhooks.models import Delivery, Webhook
from schemas import PageQuerySchema, page_of
from schemas.webhook import DeliverySchema, NewWebhookSchema, ReplaySchema, WebhookSchema

blp = Blueprint("webhooks", __name__, url_prefix="/v1/webhooks",
                description="Be told of every change: signed deliveries of the change log.")


def _hook(id: int) -> Webhook:
    found = db.session.get(Webhook, id)
    if found is None:
        raise Problem(404, f"No webhook with id {id}.")
    return found


@blp.route("", endpoint="Webhooks")
class Webhooks(MethodView):
    @require("write")
    @blp.arguments(PageQuerySchema(), location="query")
    @blp.response(200, page_of(WebhookSchema))
    def get(self, args: dict[str, Any]) -> Any:
        """List webhook subscriptions (curators)"""
        _, page, headers = paginate(select(Webhook), (Webhook.id,), args)
        return page, 200, headers

    @require("write")
    @writes.body(blp, WebhookSchema)
    @blp.response(201, NewWebhookSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Subscribe a URL to the change log (curators)

        Every entry committed from now on that matches `filters` is POSTed to `url`: the
        entry as `GET /v1/changes` shows it, in `seq` order, signed by the Standard
        Webhooks scheme (`webhook-id`, `webhook-timestamp`, `webhook-signature`) with the
        `secret` this answer holds (and no other will). A 2xx answer is a delivery; any
        other is retried with exponential back-off, and after a run of failures the
        subscription is disabled (`disabled_at`, `disabled_reason`). The URL must
        resolve to public addresses only.
        """
        why = refusal(data["url"], current_app.config["WEBHOOK_ALLOW_NETWORKS"])
        if why:
            writes.invalid({"url": [why]})
        hook = Webhook(url=data["url"], secret=new_secret(), filters=data["filters"],
                       api_root=request.url_root, created_at=utcnow(),
                       created_by=g.curator, cursor=data_version(), epoch=0, failures=0)
        db.session.add(hook)
        writes.commit()
        return hook, 201, {"Location": url_for("webhooks.Webhook", id=hook.id,
                                               _external=True)}


@blp.route("/<int:id>", endpoint="Webhook")
class WebhookItem(MethodView):
    @require("write")
    @blp.response(200, WebhookSchema)
    def get(self, id: int) -> Any:
        """Get a webhook subscription (curators)"""
        return _hook(id)

    @require("write")
    @blp.response(204)
    def delete(self, id: int) -> None:
        """Delete a webhook subscription and its deliveries (curators)"""
        db.session.delete(_hook(id))
        writes.commit()


@blp.route("/<int:id>/deliveries", endpoint="Deliveries")
class Deliveries(MethodView):
    @require("write")
    @blp.arguments(PageQuerySchema(), location="query")
    @blp.response(200, page_of(DeliverySchema))
    def get(self, args: dict[str, Any], id: int) -> Any:
        """List a subscription's delivery attempts, newest first (curators)"""
        _hook(id)
        stmt = select(Delivery).where(Delivery.webhook_id == id)
        _, page, headers = paginate(stmt, (Delivery.id,), args, descending=True)
        return page, 200, headers


@blp.route("/<int:id>/replay", endpoint="Replay")
class Replay(MethodView):
    @require("write")
    @blp.doc(operationId="replay_webhook")
    @writes.body(blp, ReplaySchema)
    @blp.response(202, WebhookSchema)
    def post(self, data: dict[str, Any], id: int) -> Any:
        """Deliver again every entry after a `seq` (curators)

        The subscription's cursor moves back to `after`: the worker sends every matching
        entry after it again, in order (with new `webhook-id`s). A disabled subscription
        is enabled again, its failures forgotten.
        """
        hook = _hook(id)
        last = data_version()
        if data["after"] > last:
            writes.invalid({"after": [f"The log ends at {last}."]})
        hook.cursor, hook.epoch, hook.failures = data["after"], hook.epoch + 1, 0
        hook.retry_at = hook.disabled_at = hook.disabled_reason = None
        writes.commit()
        return hook
