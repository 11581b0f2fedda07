"""GCJ-02 and BD-09, vectorised: the published forward formulas, and inverses by iteration to below 1 cm.

GCJ-02 (国测局 02) is WGS 84 plus a published polynomial/sine offset applied inside China only; outside the
published box (lon 72.004–137.8347, lat 0.8293–55.8271) GCJ-02 equals WGS 84, as the published code does. BD-09 is
Baidu's further rotation/shift of GCJ-02, applied everywhere. All arrays are longitude, latitude in degrees.
"""

from __future__ import annotations

import numpy as np

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as published
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0
# the iteration stops once the round trip is below this (degrees; 1e-9° ≈ 0.1 mm), far under the 1 cm goal
_TOLERANCE_DEG = 1e-9
_MAX_ITERATIONS = 30


def in_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """True where the published GCJ-02 offset applies (the published rectangle around China)."""
    return (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def _delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = lon - 105.0
    y = lat - 35.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x + common
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x + common
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(radlat) * np.pi)
    return dlon, dlat


def _raw_gcj(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    dlon, dlat = _delta(lon, lat)
    return lon + dlon, lat + dlat


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 from WGS 84 (≈ CGCS2000), as published: offset inside China, unchanged outside."""
    lon, lat = _arrays(lon, lat)
    glon, glat = _raw_gcj(lon, lat)
    inside = in_china(lon, lat)
    return np.where(inside, glon, lon), np.where(inside, glat, lat)


def gcj02_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """WGS 84 from GCJ-02 by fixed-point iteration of the forward formula until the round trip is below 0.1 mm.

    Whether the offset applies is decided on the GCJ-02 point given (within a few hundred metres of the
    published rectangle's edge the forward and inverse may disagree on that, as with every published inverse).
    """
    lon, lat = _arrays(lon, lat)
    inside = in_china(lon, lat)
    tlon, tlat = lon[inside], lat[inside]
    wlon, wlat = tlon.copy(), tlat.copy()
    for _ in range(_MAX_ITERATIONS):
        glon, glat = _raw_gcj(wlon, wlat)
        elon, elat = glon - tlon, glat - tlat
        wlon = wlon - elon
        wlat = wlat - elat
        if not (np.nanmax(np.abs(elon), initial=0.0) > _TOLERANCE_DEG
                or np.nanmax(np.abs(elat), initial=0.0) > _TOLERANCE_DEG):
            break
    out_lon, out_lat = lon.copy(), lat.copy()
    out_lon[inside], out_lat[inside] = wlon, wlat
    return out_lon, out_lat


def gcj02_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 from GCJ-02, as published by Baidu's SDK documentation and its open-source reimplementations."""
    lon, lat = _arrays(lon, lat)
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 from BD-09: the published approximate inverse, refined by iteration until the round trip is < 0.1 mm."""
    lon, lat = _arrays(lon, lat)
    x, y = lon - 0.0065, lat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    glon, glat = z * np.cos(theta), z * np.sin(theta)
    for _ in range(_MAX_ITERATIONS):
        blon, blat = gcj02_to_bd09(glon, glat)
        elon, elat = blon - lon, blat - lat
        glon = glon - elon
        glat = glat - elat
        if not (np.nanmax(np.abs(elon), initial=0.0) > _TOLERANCE_DEG
                or np.nanmax(np.abs(elat), initial=0.0) > _TOLERANCE_DEG):
            break
    return glon, glat


def wgs84_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def _arrays(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    return np.atleast_1d(np.asarray(lon, dtype=np.float64)), np.atleast_1d(np.asarray(lat, dtype=np.float64))
