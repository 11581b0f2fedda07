"""Tables of the policy domain: the SM3-chained audit log and its one-row head (last link and purge anchor)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from zhicheng.core.db import Base

GENESIS_HASH = "0" * 64  # prev_hash of the first entry ever written


class AuditEntry(Base):
    """One thing that happened: who, what, to which target, with what outcome; chained to the entry before."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_target", "target_kind", "target_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)  # position in the chain: 1, 2, 3, ... no gaps
    at: Mapped[datetime] = mapped_column(index=True)
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_user_id: Mapped[int | None] = mapped_column(Integer, index=True)  # no FK: the log outlives users
    actor_username: Mapped[str | None] = mapped_column(String(64), index=True)
    actor_department_id: Mapped[int | None] = mapped_column(Integer)
    actor_department_code: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_kind: Mapped[str] = mapped_column(String(64))
    target_id: Mapped[str | None] = mapped_column(String(128))
    outcome: Mapped[str] = mapped_column(String(16), index=True)  # ok | denied | failed | error
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    ip: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The single row (id 1) every append locks: the last seq and hash, and the anchor left by purges."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)
    anchor_seq: Mapped[int] = mapped_column(BigInteger, default=0)  # last purged entry (0: none purged)
    anchor_hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)
    purged_at: Mapped[datetime | None] = mapped_column()
