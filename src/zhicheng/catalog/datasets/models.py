"""Tables of the datasets domain: the versions of each resource's data and the import jobs that made them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhicheng.core.clock import now
from zhicheng.core.db import Base


class DatasetVersion(Base):
    """One successful import: its rows live in `table_name`; earlier versions stay readable."""

    __tablename__ = "dataset_version"
    __table_args__ = (UniqueConstraint("resource_id", "version", name="uq_dataset_version_resource_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(Integer, index=True)  # catalog resource (no FK: catalog's table)
    version: Mapped[int] = mapped_column(Integer)
    row_count: Mapped[int] = mapped_column(BigInteger, default=0)
    columns: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # the item specs at import time
    filename: Mapped[str] = mapped_column(String(255))
    format: Mapped[str] = mapped_column(String(16))
    encoding: Mapped[str | None] = mapped_column(String(32))
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    sha256: Mapped[str] = mapped_column(String(64))
    imported_by: Mapped[int | None] = mapped_column(Integer)  # user id; None for the system/CLI
    imported_by_name: Mapped[str | None] = mapped_column(String(100))
    imported_at: Mapped[datetime] = mapped_column(default=now)
    table_name: Mapped[str] = mapped_column(String(64), unique=True)
    job_id: Mapped[str | None] = mapped_column(String(32))


class ImportJob(Base):
    """An import run in the background for the web page: its state, progress and (bounded) error report."""

    __tablename__ = "dataset_import_job"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    resource_id: Mapped[int] = mapped_column(Integer, index=True)
    state: Mapped[str] = mapped_column(String(16), default="queued")  # queued | running | succeeded | failed
    filename: Mapped[str] = mapped_column(String(255))
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_read: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_total_estimate: Mapped[int | None] = mapped_column(BigInteger)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    message_zh: Mapped[str | None] = mapped_column(Text)
    message_en: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[int | None] = mapped_column(Integer)
    created_by_name: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=now)
    finished_at: Mapped[datetime | None] = mapped_column()
    owner: Mapped[str | None] = mapped_column(String(160))  # the process running it (jobs.OWNER)
    lease_until: Mapped[datetime | None] = mapped_column()  # renewed by its heartbeat; past it, the job was left
