"""Coordinate conversion, the service the geo domain's doors and other geo sub-domains call.

The work is done in `zhicheng.core.crs` (pure, shared with the catalog's import of geo files); this module is the
geo domain's face of it: arrays of points, Shapely geometries and GeoJSON, always x = longitude first.
"""

from __future__ import annotations

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
from zhicheng.core.crs.transform import (
    check_lonlat,
    convert_geojson,
    convert_geometry,
    convert_points,
    convert_unchecked,
    in_china_swapped,
    lonlat_problems,
    to_storage,
    transformer,
)

__all__ = [
    "BD09", "CGCS2000", "CRS84", "GCJ02", "STORAGE", "SUPPORTED", "WEB_MERCATOR", "WGS84", "CrsInfo",
    "UnknownCrs", "parse_crs", "convert_points", "convert_geometry", "convert_geojson", "to_storage",
    "check_lonlat", "lonlat_problems", "convert_unchecked", "in_china_swapped", "transformer",
]
