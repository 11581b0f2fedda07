"""Coordinate conversion: arrays of points, Shapely geometries, GeoJSON (re-exported by `zhicheng.geo.crs.service`).

Everything takes and gives x = longitude/easting, y = latitude/northing (`always_xy`), whatever the CRS's
authority axis order. PROJ does EPSG↔EPSG; GCJ-02/BD-09 go through WGS 84 (≈ CGCS2000) with `offsets`.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping, shape

from zhicheng.core.crs import offsets
from zhicheng.core.crs.registry import (
    BD09,
    CGCS2000,
    CRS84,
    GCJ02,
    STORAGE,
    SUPPORTED,
    WEB_MERCATOR,
    WGS84,
    CrsInfo,
    UnknownCrs,
    parse_crs,
)
from zhicheng.core.errors import Invalid

__all__ = [
    "BD09", "CGCS2000", "CRS84", "GCJ02", "STORAGE", "SUPPORTED", "WEB_MERCATOR", "WGS84", "CrsInfo",
    "UnknownCrs", "parse_crs", "convert_points", "convert_geometry", "convert_geojson", "to_storage",
    "check_lonlat", "lonlat_problems", "convert_unchecked", "transformer",
]

_local = threading.local()  # PROJ transformers are cached per thread (a Transformer is not shared across threads)


def transformer(src_epsg: int, dst_epsg: int):
    """A cached pyproj Transformer from one EPSG code to another, longitude first."""
    import pyproj

    cache = getattr(_local, "transformers", None)
    if cache is None:
        cache = _local.transformers = {}
    key = (src_epsg, dst_epsg)
    found = cache.get(key)
    if found is None:
        found = cache[key] = pyproj.Transformer.from_crs(src_epsg, dst_epsg, always_xy=True)
    return found


def convert_points(x, y, src: CrsInfo | str | int, dst: CrsInfo | str | int) -> tuple[np.ndarray, np.ndarray]:
    """Arrays of x (lon/easting) and y (lat/northing) from `src` to `dst`; Invalid names the first unconvertible point."""
    src, dst = parse_crs(src, field="from"), parse_crs(dst, field="to")
    x = np.atleast_1d(np.asarray(x, dtype=np.float64))
    y = np.atleast_1d(np.asarray(y, dtype=np.float64))
    if x.shape != y.shape:
        raise Invalid("x 与 y 的个数不同", "x and y differ in length", field="points")
    if src.key == dst.key or x.size == 0:
        return x.copy(), y.copy()
    _check_finite(x, y, "输入", "input")
    if src.geographic:
        _check_degrees(x, y)
    x, y = convert_unchecked(x, y, src, dst)
    _check_finite(x, y, "转换结果", "result")
    return x, y


def convert_unchecked(x: np.ndarray, y: np.ndarray, src: CrsInfo, dst: CrsInfo) -> tuple[np.ndarray, np.ndarray]:
    """As `convert_points` for parsed CRSs, without the checks: a point PROJ cannot convert comes back inf
    (for callers that report bad points one by one, such as imports)."""
    if src.key == dst.key:
        return x, y
    # to WGS 84 lon/lat (≈ CGCS2000), undoing a web-map offset
    if src.offset == "bd09":
        x, y = offsets.bd09_to_wgs84(x, y)
    elif src.offset == "gcj02":
        x, y = offsets.gcj02_to_wgs84(x, y)
    mid = dst.proj_epsg
    if src.proj_epsg != mid:
        x, y = transformer(src.proj_epsg, mid).transform(x, y, errcheck=False)
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if dst.offset == "gcj02":
        x, y = offsets.wgs84_to_gcj02(x, y)
    elif dst.offset == "bd09":
        x, y = offsets.wgs84_to_bd09(x, y)
    return x, y


def _check_finite(x: np.ndarray, y: np.ndarray, zh: str, en: str) -> None:
    bad = ~(np.isfinite(x) & np.isfinite(y))
    if bad.any():
        i = int(np.argmax(bad))
        raise Invalid(f"第 {i + 1} 个点的{zh}坐标无效（超出该坐标系的范围）",
                      f"point {i + 1}: {en} coordinates are not valid (outside the CRS's area)", field=f"points.{i}")


def _check_degrees(lon: np.ndarray, lat: np.ndarray) -> None:
    bad = (np.abs(lon) > 180.0) | (np.abs(lat) > 90.0)
    if bad.any():
        i = int(np.argmax(bad))
        raise Invalid(f"第 {i + 1} 个点的经纬度超出范围（经度 ±180，纬度 ±90；经纬度是否颠倒？）",
                      f"point {i + 1}: longitude/latitude out of range (±180, ±90; are they swapped?)",
                      field=f"points.{i}")


def convert_geometry(geom, src: CrsInfo | str | int, dst: CrsInfo | str | int, *, check: bool = True):
    """A Shapely geometry (or array of them) from `src` to `dst`; z values are kept unchanged. With
    `check=False` nothing is refused: unconvertible coordinates come back inf, for the caller to report."""
    src, dst = parse_crs(src, field="from"), parse_crs(dst, field="to")
    if src.key == dst.key:
        return geom

    def move(coords: np.ndarray) -> np.ndarray:
        if check:
            nx, ny = convert_points(coords[:, 0], coords[:, 1], src, dst)
        else:
            nx, ny = convert_unchecked(coords[:, 0], coords[:, 1], src, dst)
        out = coords.copy()
        out[:, 0], out[:, 1] = nx, ny
        return out

    return shapely.transform(geom, move, include_z=None)


def convert_geojson(obj: dict[str, Any], src, dst) -> dict[str, Any]:
    """A GeoJSON geometry, Feature or FeatureCollection converted from `src` to `dst` (properties untouched)."""
    src, dst = parse_crs(src, field="from"), parse_crs(dst, field="to")
    kind = obj.get("type") if isinstance(obj, dict) else None
    if kind == "FeatureCollection":
        features = obj.get("features")
        if not isinstance(features, list):
            raise Invalid("features 必须是数组", "features must be an array", field="geojson.features")
        return {**obj, "features": [_feature(f, src, dst, f"geojson.features.{i}") for i, f in enumerate(features)]}
    if kind == "Feature":
        return _feature(obj, src, dst, "geojson")
    return _geometry(obj, src, dst, "geojson")


def _feature(feature: Any, src: CrsInfo, dst: CrsInfo, field: str) -> dict[str, Any]:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise Invalid("不是 GeoJSON Feature", "not a GeoJSON Feature", field=field)
    geometry = feature.get("geometry")
    converted = None if geometry is None else _geometry(geometry, src, dst, f"{field}.geometry")
    return {**feature, "geometry": converted}


def _geometry(obj: Any, src: CrsInfo, dst: CrsInfo, field: str) -> dict[str, Any]:
    try:
        geom = shape(obj)
    except Exception as exc:  # noqa: BLE001 — shapely raises several kinds for malformed GeoJSON
        raise Invalid("不是有效的 GeoJSON 几何", f"not a valid GeoJSON geometry: {exc}", field=field) from None
    try:
        return mapping(convert_geometry(geom, src, dst))
    except Invalid as exc:
        exc.field = field
        raise


def to_storage(x, y, src: CrsInfo | str | int) -> tuple[np.ndarray, np.ndarray]:
    """Points in the storage CRS (CGCS2000 lon/lat) from `src`."""
    return convert_points(x, y, src, STORAGE)


def lonlat_problems(lon, lat, *, expect_china: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Per point of geographic lon/lat arrays: (swapped, out of range) masks.

    "swapped": latitude beyond ±90 while the pair read the other way round is a valid point; and, when the data
    is expected in China, a pair that lands in China only when read the other way round.
    """
    lon = np.atleast_1d(np.asarray(lon, dtype=np.float64))
    lat = np.atleast_1d(np.asarray(lat, dtype=np.float64))
    finite = np.isfinite(lon) & np.isfinite(lat)
    in_range = finite & (np.abs(lon) <= 180.0) & (np.abs(lat) <= 90.0)
    swapped = finite & (np.abs(lat) > 90.0) & (np.abs(lat) <= 180.0) & (np.abs(lon) <= 90.0)
    if expect_china:
        swapped |= finite & in_china_swapped(lon, lat)
    return swapped, ~in_range & ~swapped


def in_china_swapped(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """True where a point is outside China's extent but inside it when read the other way round."""
    china = (lon >= 73.0) & (lon <= 136.0) & (lat >= 3.0) & (lat <= 54.0)
    china_swapped = (lat >= 73.0) & (lat <= 136.0) & (lon >= 3.0) & (lon <= 54.0)
    return china_swapped & ~china


def check_lonlat(lon, lat, *, expect_china: bool = True) -> tuple[str, int] | None:
    """The first problem of geographic lon/lat arrays: ("swapped"|"range", index), or None when all are valid."""
    swapped, out = lonlat_problems(lon, lat, expect_china=expect_china)
    problems = swapped | out
    if not problems.any():
        return None
    i = int(np.argmax(problems))
    return ("swapped" if swapped[i] else "range"), i
