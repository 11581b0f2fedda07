"""Metric work on CGCS2000 geometries: the 3° Gauss-Krüger zone of a longitude and transforms to and from it."""

from __future__ import annotations

from functools import cache

import shapely
from pyproj import Transformer

GEOGRAPHIC = "EPSG:4490"  # CGCS2000 lon/lat, the platform's storage CRS


def gk_epsg(lon: float) -> int:
    """The EPSG code of the CGCS2000 3-degree Gauss-Krüger zone (central meridian, no zone prefix) for `lon`:
    EPSG:4534 is the 75°E meridian, EPSG:4554 the 135°E one (113.0°E → 114°E → EPSG:4547)."""
    meridian = min(135, max(75, round(lon / 3) * 3))
    return 4534 + (meridian - 75) // 3


@cache
def _transformers(epsg: int) -> tuple[Transformer, Transformer]:
    forward = Transformer.from_crs(GEOGRAPHIC, f"EPSG:{epsg}", always_xy=True)
    inverse = Transformer.from_crs(f"EPSG:{epsg}", GEOGRAPHIC, always_xy=True)
    return forward, inverse


def to_metric(geom, epsg: int):
    """A lon/lat geometry (or array of them) in metres of the zone `epsg`."""
    forward = _transformers(epsg)[0]
    return shapely.transform(geom, lambda xy: _apply(forward, xy))


def to_lonlat(geom, epsg: int):
    """A geometry (or array) in metres of the zone `epsg` back to CGCS2000 lon/lat."""
    inverse = _transformers(epsg)[1]
    return shapely.transform(geom, lambda xy: _apply(inverse, xy))


def _apply(transformer: Transformer, xy):
    import numpy as np

    x, y = transformer.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


def area_m2(geom) -> float:
    """The area of a lon/lat geometry in square metres, in the zone of its centroid."""
    epsg = gk_epsg(geom.centroid.x)
    return float(to_metric(geom, epsg).area)


def lonlat_text(geom, digits: int = 7) -> str:
    """Compact WKT of a lon/lat geometry with `digits` decimals (7 ≈ 1 cm), kept valid after rounding."""
    fixed = shapely.set_precision(geom, 10 ** -digits)
    if not fixed.is_valid:
        fixed = shapely.make_valid(fixed)
    return shapely.to_wkt(fixed, rounding_precision=digits, trim=True)
