"""Checks of the geometries coming into a layer: swapped or out-of-range coordinates, conversion to CGCS2000, validity
(refused, or repaired with `make_valid`), each bad row logged with its number; and the report of what was done."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

MAX_REPAIRS_LISTED = 1_000
# projected sources: converted points further than this (degrees) outside the CRS's area of use are refused
AREA_MARGIN_DEG = 1.0


@dataclass
class GeoReport:
    """What the geo part of an import did: the source CRS and where it came from, the repaired rows."""

    source_crs: str
    source_crs_uri: str
    crs_from: str  # "declared", "file" or "format" (KML and GeoJSON are WGS 84 by definition)
    storage_crs: str = "EPSG:4490"
    invalid_geometry: str = "refuse"
    layer: str | None = None
    repaired_count: int = 0
    repaired: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def add_repair(self, line: int, reason: str) -> None:
        self.repaired_count += 1
        if len(self.repaired) < MAX_REPAIRS_LISTED:
            self.repaired.append({"line": line, "zh": f"已修复无效几何：{reason}",
                                  "en": f"invalid geometry repaired: {reason}"})



class GeometryChecker:
    """Turns a batch of Shapely geometries in the source CRS into storage GeoJSON, logging each bad row."""

    def __init__(self, src, invalid_geometry: str, errors, report: GeoReport, column: str) -> None:
        from zhicheng.core.crs.registry import STORAGE

        self.src, self.dst, self.errors, self.report = src, STORAGE, errors, report
        self.invalid_geometry = invalid_geometry  # "refuse" or "repair"
        self.column = column
        self.area = None
        if not src.geographic and src.epsg not in (None, 3857):
            import pyproj

            area = pyproj.CRS.from_epsg(src.epsg).area_of_use
            if area is not None:
                m = AREA_MARGIN_DEG
                self.area = (area.west - m, area.south - m, area.east + m, area.north + m)

    def convert(self, lines: Sequence[int], geoms: Sequence[Any]) -> list[str | None]:
        """GeoJSON text per row (None for a missing geometry), or the row left out (`False`) when it is bad."""
        import shapely

        from zhicheng.core.crs import transform as crs

        garr = np.empty(len(geoms), dtype=object)
        garr[:] = list(geoms)
        n = len(garr)
        bad = np.zeros(n, dtype=bool)
        present = ~shapely.is_missing(garr)
        coords, index = shapely.get_coordinates(garr, return_index=True)
        if self.src.geographic and len(coords):
            lon, lat = coords[:, 0], coords[:, 1]
            china = (lon >= 73.0) & (lon <= 136.0) & (lat >= 3.0) & (lat <= 54.0)
            # data mostly in China: a point that lands in China only when read the other way round is swapped
            swapped, out = crs.lonlat_problems(lon, lat, expect_china=bool(china.mean() >= 0.5))
            self._log(lines, index, swapped, bad,
                      "经纬度颠倒（纬度在前？）：请检查坐标顺序，应为经度在前", "swapped axes (latitude first?): "
                      "coordinates must be longitude first", coords)
            self._log(lines, index, out, bad, "经纬度超出范围（经度 ±180，纬度 ±90）",
                      "longitude/latitude out of range (±180, ±90)", coords)
        elif len(coords):
            self._log(lines, index, ~np.isfinite(coords[:, :2]).all(axis=1), bad, "坐标不是有限数值",
                      "coordinates are not finite numbers", coords)
        good = present & ~bad
        out_geoms = garr.copy()
        if good.any():
            out_geoms[good] = crs.convert_geometry(garr[good], self.src, self.dst, check=False)
            conv, cindex = shapely.get_coordinates(out_geoms[good], return_index=True)
            rows = np.flatnonzero(good)[cindex]
            lon, lat = conv[:, 0], conv[:, 1]
            broken = ~(np.isfinite(lon) & np.isfinite(lat)) | (np.abs(lon) > 180.0) | (np.abs(lat) > 90.0)
            if self.area is not None:
                w, s, e, nth = self.area
                broken |= (lon < w) | (lon > e) | (lat < s) | (lat > nth)
            self._log(lines, rows, broken, bad,
                      f"坐标超出 {self.src.key} 的适用范围（x/y 是否颠倒？坐标系或带号是否正确？）",
                      f"coordinates outside the area of {self.src.key} (x/y swapped? wrong CRS or zone?)",
                      None, by_row=True)
            good &= ~bad
            self._validate(lines, out_geoms, good, bad)
        result: list[str | None] = []
        texts = shapely.to_geojson(np.where(good, out_geoms, None))
        for i in range(n):
            if bad[i]:
                result.append(False)  # type: ignore[arg-type]
            else:
                result.append(texts[i] if present[i] else None)
        return result

    def _log(self, lines, index: np.ndarray, mask: np.ndarray, bad: np.ndarray, zh: str, en: str,
             coords: np.ndarray | None, *, by_row: bool = False) -> None:
        """One error per row that has a point in `mask` (its first such point shown)."""
        if not mask.any():
            return
        rows = index[mask]
        first = {}
        for k, row in zip(np.flatnonzero(mask).tolist(), rows.tolist(), strict=True):
            first.setdefault(row, k)
        for row, k in first.items():
            if bad[row]:
                continue
            bad[row] = True
            shown = None if coords is None else f"{coords[k, 0]:.6f} {coords[k, 1]:.6f}"
            self.errors.add(lines[row], self.column, zh, en, shown, None)

    def _validate(self, lines, geoms: np.ndarray, good: np.ndarray, bad: np.ndarray) -> None:
        import shapely

        rows = np.flatnonzero(good)
        if not len(rows):
            return
        valid = shapely.is_valid(geoms[rows])
        if valid.all():
            return
        for row in rows[~valid].tolist():
            reason = shapely.is_valid_reason(geoms[row])
            if self.invalid_geometry == "repair":
                fixed = shapely.make_valid(geoms[row])
                if fixed is None or fixed.is_empty:
                    self.errors.add(lines[row], self.column, f"几何对象无效且无法修复：{reason}",
                                    f"invalid geometry that cannot be repaired: {reason}", None, None)
                    bad[row], good[row] = True, False
                    continue
                geoms[row] = fixed
                self.report.add_repair(lines[row], reason)
            else:
                self.errors.add(lines[row], self.column,
                                f"几何对象无效：{reason}（可选择自动修复：invalid_geometry=repair）",
                                f"invalid geometry: {reason} (choose invalid_geometry=repair to repair it)",
                                None, None)
                bad[row], good[row] = True, False
