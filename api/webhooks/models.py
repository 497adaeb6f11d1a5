"""Webhook subscriptions and the record of every delivery attempt."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.extensions import db


class Webhook(db.Model):
    """A URL that receives the change log's entries matching its filters, in ``seq``
    order, each signed with its secret (api/webhooks/delivery.py)."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    # Standard Webhooks' "whsec_" + base64: kept as is, since deliveries are signed with it.
    secret: Mapped[str] = mapped_column(String(100))
    # {"mission": [...], "resource": [...], "action": [...]}: a missing key matches all.
    filters: Mapped[dict[str, list[str]]] = mapped_column(JSON)
    # The API's root URL as the subscriber addressed it: the payloads' links start with it.
    api_root: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime]  # UTC
    created_by: Mapped[str] = mapped_column(String(100))  # the token's name
    # The last seq delivered (or passed over by the filters): the worker's resume point.
    cursor: Mapped[int]
    # Bumped by a replay, so an attempt begun before it cannot move the cursor back on.
    epoch: Mapped[int] = mapped_column(default=0)
    failures: Mapped[int] = mapped_column(default=0)  # consecutive failed attempts
    retry_at: Mapped[dt.datetime | None]  # UTC: no attempt before (the back-off)
    disabled_at: Mapped[dt.datetime | None]
    disabled_reason: Mapped[str | None] = mapped_column(Text)


class Delivery(db.Model):
    """One attempt to deliver one change-log entry to one subscription."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_webhook_id", "webhook_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    seq: Mapped[int]  # the change-log entry sent
    message_id: Mapped[str] = mapped_column(String(100))  # the webhook-id header
    attempt: Mapped[int]  # 1 for the first try of this entry, 2 for the first retry, ...
    at: Mapped[dt.datetime]  # UTC: when the attempt started
    duration_ms: Mapped[int]
    status: Mapped[int | None]  # the receiver's HTTP status; None when none came
    error: Mapped[str | None] = mapped_column(Text)  # why it failed, None on success
    ok: Mapped[bool]

