"""The CRSs zhicheng speaks, as the geo domain names them: `zhicheng.core.crs.registry` (see its docstring)."""

from __future__ import annotations

from zhicheng.core.crs.registry import (
    BD09,
    CGCS2000,
    CRS84,
    GAUSS_KRUGER,
    GCJ02,
    HUNAN_GK_ZONES,
    OGC_CRS_PREFIX,
    STORAGE,
    SUPPORTED,
    WEB_MERCATOR,
    WGS84,
    ZHICHENG_AUTHORITY,
    CrsInfo,
    UnknownCrs,
    parse_crs,
    supported_keys,
    unknown_crs,
)

__all__ = ["BD09", "CGCS2000", "CRS84", "GAUSS_KRUGER", "GCJ02", "HUNAN_GK_ZONES", "OGC_CRS_PREFIX", "STORAGE",
           "SUPPORTED", "WEB_MERCATOR", "WGS84", "ZHICHENG_AUTHORITY", "CrsInfo", "UnknownCrs", "parse_crs",
           "supported_keys", "unknown_crs"]
