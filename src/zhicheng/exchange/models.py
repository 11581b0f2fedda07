"""Tables of the exchange domain's requests part: access requests, their timeline, and the grants they give."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from zhicheng.core.clock import now
from zhicheng.core.db import Base


class ShareRequest(Base):
    """A department's request for another department's resource (共享申请), from submission to answer."""

    __tablename__ = "exchange_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(Integer, index=True)  # catalog resource (no FK: catalog's table)
    resource_name: Mapped[str] = mapped_column(String(200))
    share_type: Mapped[str] = mapped_column(String(16))  # the resource's share type when asked
    provider_department_id: Mapped[int] = mapped_column(Integer, index=True)
    consumer_department_id: Mapped[int] = mapped_column(Integer, index=True)
    requester_id: Mapped[int | None] = mapped_column(Integer)
    requester_name: Mapped[str | None] = mapped_column(String(100))
    purpose: Mapped[str] = mapped_column(Text)  # 用途
    basis: Mapped[str] = mapped_column(Text)  # 法律依据或业务需要
    items: Mapped[list[str]] = mapped_column(JSON, default=list)
    row_filter: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    delivery: Mapped[str] = mapped_column(String(8), default="api")  # api | file
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending|granted|refused
    submitted_at: Mapped[datetime] = mapped_column(default=now)
    due_date: Mapped[date] = mapped_column(Date)  # last working day to answer (Asia/Shanghai)
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by: Mapped[int | None] = mapped_column(Integer)
    decided_by_name: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)  # refusal reason, or the approver's note
    escalated_at: Mapped[datetime | None] = mapped_column()  # overdue and escalated to the platform admin


class RequestEvent(Base):
    """One step in a request's life, as the requester sees it (submitted, approved, refused, escalated…)."""

    __tablename__ = "exchange_request_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("exchange_request.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    actor_name: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=now)


class Grant(Base):
    """What a consumer department may use of a resource: items, rows, plain items, until when, how delivered."""

    __tablename__ = "exchange_grant"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("exchange_request.id", ondelete="RESTRICT"), unique=True)
    resource_id: Mapped[int] = mapped_column(Integer, index=True)
    consumer_department_id: Mapped[int] = mapped_column(Integer, index=True)
    provider_department_id: Mapped[int] = mapped_column(Integer, index=True)
    items: Mapped[list[str]] = mapped_column(JSON, default=list)
    row_filter: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # {"dqdm": {"prefix": "430104"}}
    plain_items: Mapped[list[str]] = mapped_column(JSON, default=list)  # items seen unmasked
    purpose: Mapped[str] = mapped_column(Text)
    starts_on: Mapped[date] = mapped_column(Date)
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    revoked_by_name: Mapped[str | None] = mapped_column(String(100))
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    delivery: Mapped[str] = mapped_column(String(8), default="api")  # api | file
    file_export_approved: Mapped[bool] = mapped_column(Boolean, default=False)
    use_count: Mapped[int] = mapped_column(Integer, default=0)
    rows_delivered: Mapped[int] = mapped_column(BigInteger, default=0)
    last_used_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=now)
