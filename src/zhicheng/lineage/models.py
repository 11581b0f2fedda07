"""Tables of the lineage graph: nodes (resources, dataset versions, assemblies) and the edges between them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhicheng.core.clock import now
from zhicheng.core.db import Base


class LineageNode(Base):
    """One thing data flows through: a resource, a dataset version ("<resource>/v<n>") or an assembly."""

    __tablename__ = "lineage_node"
    __table_args__ = (UniqueConstraint("kind", "ref", name="uq_lineage_node_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # resource | dataset | assembly
    ref: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200))
    resource_id: Mapped[int | None] = mapped_column(Integer, index=True)  # the catalog resource it belongs to
    created_at: Mapped[datetime] = mapped_column(default=now)


class LineageEdge(Base):
    """Data flows from `source_id` to `target_id`: version_of, source, input, produces, output."""

    __tablename__ = "lineage_edge"
    __table_args__ = (UniqueConstraint("source_id", "target_id", "kind", name="uq_lineage_edge_source_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("lineage_node.id", ondelete="CASCADE"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("lineage_node.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=now)
