"""Tables of the quality domain: rules (and proposals), runs, findings per rule, correction tasks, schedules."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from zhicheng.core.clock import now
from zhicheng.core.db import Base


class QualityRule(Base):
    """A rule on a resource's data item, stored as data; state proposed (a suggestion) → active, or dismissed."""

    __tablename__ = "quality_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(Integer, index=True)  # catalog resource (no FK: catalog's table)
    item: Mapped[str | None] = mapped_column(String(63))  # None for resource-wide rules (timeliness)
    kind: Mapped[str] = mapped_column(
        String(16)
    )  # required unique pattern range allowed check reference cross timely
    dimension: Mapped[str] = mapped_column(
        String(16)
    )  # completeness validity uniqueness consistency timeliness
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(
        String(16), default="active", index=True
    )  # proposed | active | dismissed
    source: Mapped[str] = mapped_column(String(16), default="manual")  # manual | proposed
    reason: Mapped[str | None] = mapped_column(Text)  # why it was proposed (Chinese)
    created_by_name: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=now)


class QualityRun(Base):
    """One quality run over one version of a resource's data, with its scores."""

    __tablename__ = "quality_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(Integer, index=True)
    department_id: Mapped[int] = mapped_column(Integer, index=True)  # the providing department then
    version: Mapped[int] = mapped_column(Integer)
    trigger: Mapped[str] = mapped_column(String(16))  # import | manual | schedule
    rows: Mapped[int] = mapped_column(BigInteger, default=0)
    score: Mapped[float | None] = mapped_column(Float)  # 0-100, None when no rule applied
    scores: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # dimension -> 0-100
    started_at: Mapped[datetime] = mapped_column(default=now)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    run_by_name: Mapped[str | None] = mapped_column(String(100))


class QualityFinding(Base):
    """The outcome of one rule in one run: rows checked, rows failing, a bounded sample of failing rows."""

    __tablename__ = "quality_finding"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("quality_run.id", ondelete="CASCADE"), index=True)
    rule_id: Mapped[int] = mapped_column(Integer, index=True)
    item: Mapped[str | None] = mapped_column(String(63))
    kind: Mapped[str] = mapped_column(String(16))
    dimension: Mapped[str] = mapped_column(String(16))
    checked: Mapped[int] = mapped_column(BigInteger, default=0)
    failed: Mapped[int] = mapped_column(BigInteger, default=0)
    samples: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{row, value}] masked


class QualityTask(Base):
    """A correction task (整改任务) sent to the providing department for a failing rule, closed when it passes."""

    __tablename__ = "quality_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(Integer, index=True)
    department_id: Mapped[int] = mapped_column(Integer, index=True)
    rule_id: Mapped[int] = mapped_column(Integer, index=True)
    state: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open | closed
    failed: Mapped[int] = mapped_column(BigInteger, default=0)  # failing rows at the latest run
    opened_run_id: Mapped[int] = mapped_column(Integer)
    closed_run_id: Mapped[int | None] = mapped_column(Integer)
    opened_at: Mapped[datetime] = mapped_column(default=now)
    due_date: Mapped[date] = mapped_column(Date)
    closed_at: Mapped[datetime | None] = mapped_column()


class QualitySchedule(Base):
    """A resource's scheduled quality runs: every `interval_hours`, next due at `next_run_at`."""

    __tablename__ = "quality_schedule"

    resource_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    interval_hours: Mapped[int] = mapped_column(Integer)
    next_run_at: Mapped[datetime] = mapped_column()
    last_run_at: Mapped[datetime | None] = mapped_column()
