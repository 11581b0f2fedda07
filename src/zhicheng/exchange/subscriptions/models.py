"""Tables of subscriptions: webhooks for new dataset versions, their deliveries and every attempt."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from zhicheng.core.clock import now
from zhicheng.core.db import Base


class Subscription(Base):
    """A consumer's webhook for new versions of a resource it holds a grant for (订阅)."""

    __tablename__ = "exchange_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(Integer, index=True)  # exchange_grant.id (checked live on each send)
    resource_id: Mapped[int] = mapped_column(Integer, index=True)
    consumer_department_id: Mapped[int] = mapped_column(Integer, index=True)
    target_url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(Text)  # SM4-encrypted; the plain secret is shown once at creation
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_version: Mapped[int] = mapped_column(Integer, default=0)  # newest dataset version already announced
    created_by: Mapped[int | None] = mapped_column(Integer)
    created_by_name: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=now)
    cancelled_at: Mapped[datetime | None] = mapped_column()


class WebhookDelivery(Base):
    """One event to send to one subscription: pending until delivered, or failed after the last attempt."""

    __tablename__ = "exchange_webhook_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("exchange_subscription.id", ondelete="CASCADE"),
                                                 index=True)
    event: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending|delivered|failed|cancelled
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=now, index=True)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=now)
    finished_at: Mapped[datetime | None] = mapped_column()


class WebhookAttempt(Base):
    """One try at sending a delivery: when, the HTTP status (or the error), and how long it took."""

    __tablename__ = "exchange_webhook_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("exchange_webhook_delivery.id", ondelete="CASCADE"),
                                             index=True)
    number: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(default=now)
    status: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)

