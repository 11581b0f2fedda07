"""Tables of the grids sub-domain: the highest sequence ever issued per community of a grid layer (codes never reused)."""

from __future__ import annotations

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhicheng.core.db import Base


class GridSequence(Base):
    """The last 2-digit sequence handed out in one community of one grid layer: a split or a new cell takes the
    next one, so a code retired by a merge is never given to another cell."""

    __tablename__ = "geo_grid_sequence"
    __table_args__ = (UniqueConstraint("resource_id", "prefix", name="uq_geo_grid_sequence_resource_prefix"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(Integer, index=True)  # the grid layer (catalog resource; no FK)
    prefix: Mapped[str] = mapped_column(String(12))  # county 6 + street 3 + community 3
    last: Mapped[int] = mapped_column(Integer, default=0)
