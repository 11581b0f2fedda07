"""Tables of the open-data portal itself: applications for 有条件开放 data, API keys, limits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from zhicheng.core.clock import now
from zhicheng.core.db import Base


class Application(Base):
    """An application to use a 有条件开放 resource: purpose, then approved or refused by the provider's officer."""

    __tablename__ = "open_application"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("open_user.id", ondelete="CASCADE"), index=True)
    resource_id: Mapped[int] = mapped_column(Integer, index=True)  # catalog resource (no FK: catalog's table)
    resource_name: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[int] = mapped_column(Integer, index=True)  # the providing department
    purpose: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending|approved|refused
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=now)
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by: Mapped[int | None] = mapped_column(Integer)
    decided_by_name: Mapped[str | None] = mapped_column(String(100))


class PortalKey(Base):
    """A portal API key `zco_<prefix>_<secret>`: only the SHA-256 is kept; limits, expiry, revocation."""

    __tablename__ = "open_api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("open_user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    rate_per_minute: Mapped[int | None] = mapped_column(Integer)  # None: the default
    created_at: Mapped[datetime] = mapped_column(default=now)
    expires_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column()
    replaced_by: Mapped[int | None] = mapped_column(Integer)  # the key it was rotated into


class ResourceLimit(Base):
    """A per-resource rate limit (requests per minute per client) set by the platform."""

    __tablename__ = "open_resource_limit"

    resource_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    rate_per_minute: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(default=now)
