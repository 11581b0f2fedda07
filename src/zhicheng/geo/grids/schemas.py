"""Shapes of the grids API: generation, edits, splits and merges."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class GenerateRequest(BaseModel):
    """Grid the communities (and streets without communities) of boundary layers, by their public codes."""

    communities: str | None = Field(None, description="社区（村）边界图层编码 / community boundary layer code")
    streets: str | None = Field(None, description="街道（乡镇）边界图层编码 / street unit layer code")
    roads: str | None = Field(None, description="道路图层编码（沿路划分）/ road layer code (cut along roads)")
    target_area_m2: float = Field(10_000, description="目标面积 / target cell area, m²")
    urban_core_only: bool = Field(False, description="只划主城区（城乡分类 111）/ only the urban core (class 111)")


class CellUpdate(BaseModel):
    """Attributes (and boundary) of one cell; its code stays."""

    responsible_unit: str | None = Field(None, max_length=100)
    inspector: str | None = Field(None, max_length=50)
    geometry: dict[str, Any] | None = None


class SplitRequest(BaseModel):
    """A line (GeoJSON LineString, CGCS2000 lon/lat) crossing the cell from edge to edge."""

    line: dict[str, Any]


class MergeRequest(BaseModel):
    """Codes of adjacent cells of one community."""

    codes: list[str] = Field(..., min_length=2, max_length=99)
