"""Tables of the layers sub-domain: the registry of built spatial indexes, one row per (resource, version)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhicheng.core.clock import now
from zhicheng.core.db import Base


class LayerIndex(Base):
    """A built spatial index of one layer version: its table (`geo_<rid>_v<n>`), back end, extent and counts."""

    __tablename__ = "geo_layer_index"
    __table_args__ = (UniqueConstraint("resource_id", "version", name="uq_geo_layer_index_resource_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(Integer, index=True)  # catalog resource (no FK: catalog's table)
    version: Mapped[int] = mapped_column(Integer)
    item: Mapped[str] = mapped_column(String(64))  # the geometry item indexed
    table_name: Mapped[str] = mapped_column(String(64), unique=True)
    backend: Mapped[str] = mapped_column(String(16))  # rtree (SQLite) | postgis (PostgreSQL without PostGIS: 503 postgis_missing)
    feature_count: Mapped[int] = mapped_column(BigInteger, default=0)  # rows with a geometry
    minx: Mapped[float | None] = mapped_column(Float)
    miny: Mapped[float | None] = mapped_column(Float)
    maxx: Mapped[float | None] = mapped_column(Float)
    maxy: Mapped[float | None] = mapped_column(Float)
    geometry_types: Mapped[list[Any]] = mapped_column(JSON, default=list)
    built_at: Mapped[datetime] = mapped_column(default=now)


class LayerFeatureIds(Base):
    """The feature ids of a layer version made by an OGC API transaction, where they are not its row numbers: a
    delete keeps every other feature's id and a new feature gets an id never used before (`feature_ids`)."""

    __tablename__ = "geo_feature_ids"
    __table_args__ = (UniqueConstraint("resource_id", "version", name="uq_geo_feature_ids_resource_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(Integer, index=True)  # catalog resource (no FK: catalog's table)
    version: Mapped[int] = mapped_column(Integer)
    segments: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [[first row, id - row], ...] by row
    next_id: Mapped[int] = mapped_column(BigInteger)  # the id the next new feature gets
