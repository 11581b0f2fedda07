"""Tables of the catalog domain: data resources, their data items, published revisions, reviews, search docs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column, relationship

from zhicheng.core.clock import now
from zhicheng.core.db import Base

# made by the migration with raw SQL (SQLite FTS5 and its shadow tables), so not in the metadata
UNMANAGED_TABLE_PREFIX = "catalog_search_fts"


class Resource(Base):
    """A data resource (政务数据资源) with its GB/T 21063 core metadata; this row is the working copy."""

    __tablename__ = "catalog_resource"
    __table_args__ = (UniqueConstraint("department_id", "name", name="uq_catalog_resource_department_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # 信息资源代码, see zhicheng.catalog.codes
    name: Mapped[str] = mapped_column(String(200))
    catalog_class: Mapped[str] = mapped_column(String(16), index=True)  # base | theme | department
    subclass: Mapped[str | None] = mapped_column(String(32))  # 项: base subclass or theme subject
    detail_code: Mapped[str] = mapped_column(String(3), default="001")  # 细目
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="RESTRICT"), index=True)
    summary: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(32))
    file_formats: Mapped[list[str]] = mapped_column(JSON, default=list)
    share_type: Mapped[str] = mapped_column(String(16))
    share_condition: Mapped[str | None] = mapped_column(Text)
    share_basis: Mapped[str | None] = mapped_column(Text)  # legal basis, required for 不予共享
    share_method: Mapped[str] = mapped_column(String(8), default="api")
    open_type: Mapped[str] = mapped_column(String(16))
    open_condition: Mapped[str | None] = mapped_column(Text)
    update_cycle: Mapped[str] = mapped_column(String(16))
    publish_date: Mapped[date | None] = mapped_column(Date)
    related_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    spatial: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)  # latest published revision (0: never)
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)
    withdrawn_at: Mapped[datetime | None] = mapped_column()
    created_by: Mapped[int | None] = mapped_column(Integer)  # user id (no FK: the catalog outlives users)
    created_at: Mapped[datetime] = mapped_column(default=now)
    updated_by: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(default=now)

    items: Mapped[list[Item]] = relationship(
        cascade="all, delete-orphan", order_by="Item.position", lazy="selectin"
    )


class Item(Base):
    """A data item (信息项) of a resource: column identifier, Chinese label, type, limits, grade, check."""

    __tablename__ = "catalog_item"
    __table_args__ = (UniqueConstraint("resource_id", "name", name="uq_catalog_item_resource_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("catalog_resource.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(63))
    label: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(16))
    length: Mapped[int | None] = mapped_column(Integer)
    scale: Mapped[int | None] = mapped_column(Integer)
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str | None] = mapped_column(Text)
    personal: Mapped[bool] = mapped_column(Boolean, default=False)
    sensitivity: Mapped[str] = mapped_column(String(16), default="general")
    check: Mapped[str | None] = mapped_column("check_rule", String(32))


class Revision(Base):
    """A published revision of a resource, frozen as a snapshot of its metadata and items."""

    __tablename__ = "catalog_revision"
    __table_args__ = (UniqueConstraint("resource_id", "revision", name="uq_catalog_revision_resource_revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("catalog_resource.id", ondelete="CASCADE"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    published_at: Mapped[datetime] = mapped_column(default=now)
    published_by: Mapped[int | None] = mapped_column(Integer)
    published_by_name: Mapped[str | None] = mapped_column(String(100))


class Review(Base):
    """One step of a resource's lifecycle (submit, return, publish, withdraw, revise) with its comment."""

    __tablename__ = "catalog_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("catalog_resource.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str | None] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(default=now)


class SearchDoc(Base):
    """One searchable view of a resource: 'work' (the working copy) or 'pub' (its live published revision).

    `body` holds the jieba-segmented text; SQLite indexes it in the FTS5 table `catalog_search_fts`
    (rowid = this id), PostgreSQL in the `tsv` column (GIN).
    """

    __tablename__ = "catalog_search_doc"
    __table_args__ = (
        UniqueConstraint("resource_id", "view", name="uq_catalog_search_doc_resource_view"),
        Index("ix_catalog_search_doc_tsv", "tsv", postgresql_using="gin"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("catalog_resource.id", ondelete="CASCADE"), index=True)
    view: Mapped[str] = mapped_column(String(4))  # work | pub
    department_id: Mapped[int] = mapped_column(Integer, index=True)
    catalog_class: Mapped[str] = mapped_column(String(16))
    share_type: Mapped[str] = mapped_column(String(16))
    open_type: Mapped[str] = mapped_column(String(16))
    format: Mapped[str] = mapped_column(String(32))
    update_cycle: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(default=now)
    body: Mapped[str] = mapped_column(Text, default="")
    tsv: Mapped[str | None] = mapped_column(Text().with_variant(TSVECTOR(), "postgresql"))
