"""API shapes for coordinate conversion."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

MAX_POINTS = 100_000  # one request's points; whole files go through the CLI or an import


class ConvertRequest(BaseModel):
    """Points or one GeoJSON object, from one CRS to another (x = longitude/easting first)."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    from_: str = Field(..., alias="from", max_length=4000, description="源坐标系 / source CRS (EPSG:4490, CRS84, GCJ02…)")
    to: str = Field(..., max_length=4000, description="目标坐标系 / target CRS")
    points: list[tuple[float, float]] | None = Field(None, max_length=MAX_POINTS,
                                                     description="[[x, y], …] 经度在前 / longitude first")
    geojson: dict[str, Any] | None = Field(None, description="GeoJSON 几何、Feature 或 FeatureCollection")


class CrsOut(BaseModel):
    key: str
    uri: str
    name_zh: str
    name_en: str
    epsg: int | None
    geographic: bool
    lat_first: bool
