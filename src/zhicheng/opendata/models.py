"""Tables of the open-data portal: portal users and sessions, applications, API keys, limits, interaction, usage."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhicheng.core.clock import now
from zhicheng.core.db import Base


class PortalUser(Base):
    """A citizen or enterprise registered on the portal (not a staff user); the ID number is kept SM4-encrypted."""

    __tablename__ = "open_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # citizen | enterprise
    username: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    id_digest: Mapped[str] = mapped_column(String(64), unique=True)  # HMAC-SM3 of the ID number / credit code
    id_encrypted: Mapped[str] = mapped_column(Text)  # SM4-GCM, see policy.crypto
    id_masked: Mapped[str] = mapped_column(String(32))
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=now)
    last_login_at: Mapped[datetime | None] = mapped_column()


class PortalSession(Base):
    """A portal login (cookie), stored as the SHA-256 of its token, with its CSRF token."""

    __tablename__ = "open_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("open_user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=now)
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


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


class Rating(Base):
    """A portal user's 1–5 star rating of a dataset (one per user, may be changed)."""

    __tablename__ = "open_rating"
    __table_args__ = (UniqueConstraint("resource_id", "user_id", name="uq_open_rating_resource_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(Integer, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("open_user.id", ondelete="CASCADE"))
    stars: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=now)


class Comment(Base):
    """A comment on a dataset: pending until an admin or the provider's officer approves it."""

    __tablename__ = "open_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(Integer, index=True)
    department_id: Mapped[int] = mapped_column(Integer, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("open_user.id", ondelete="CASCADE"), index=True)
    author_name: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending|approved|rejected
    ip: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=now)
    moderated_at: Mapped[datetime | None] = mapped_column()
    moderated_by_name: Mapped[str | None] = mapped_column(String(100))


class DataRequest(Base):
    """A public request for a dataset (数据需求); the department answers publicly."""

    __tablename__ = "open_data_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("open_user.id", ondelete="CASCADE"), index=True)
    author_name: Mapped[str] = mapped_column(String(100))
    department_id: Mapped[int | None] = mapped_column(Integer, index=True)  # asked of (None: the platform)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open|answered|declined
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_name: Mapped[str | None] = mapped_column(String(100))
    answered_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=now)


class ShowcaseApp(Base):
    """An app built on open data (应用展示): submitted by a portal user, reviewed, then shown."""

    __tablename__ = "open_showcase_app"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("open_user.id", ondelete="CASCADE"), index=True)
    author_name: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(String(500))
    resource_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(
        String(16), default="submitted", index=True
    )  # submitted|shown|rejected
    review_note: Mapped[str | None] = mapped_column(Text)
    reviewed_by_name: Mapped[str | None] = mapped_column(String(100))
    reviewed_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=now)


class UsageDaily(Base):
    """Views, downloads and API calls of one resource on one day (Asia/Shanghai), upserted from events."""

    __tablename__ = "open_usage_daily"

    resource_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    department_id: Mapped[int] = mapped_column(Integer, index=True)
    views: Mapped[int] = mapped_column(Integer, default=0)
    downloads: Mapped[int] = mapped_column(Integer, default=0)
    api_calls: Mapped[int] = mapped_column(Integer, default=0)
    rows: Mapped[int] = mapped_column(BigInteger, default=0)
