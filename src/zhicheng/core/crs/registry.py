"""The registry of coordinate reference systems zhicheng speaks, and parsing of their names, URIs and EPSG codes.

Storage is CGCS2000 geographic (EPSG:4490), always longitude first (x = lon) inside the platform.

What we speak (key → what it is):
- ``CRS84``: OGC CRS84, WGS 84 longitude/latitude — the GeoJSON and OGC API default.
- ``EPSG:4490``: CGCS2000 geographic (2000国家大地坐标系) — the storage CRS.
- ``EPSG:4326``: WGS 84 geographic (authority axis order lat, lon; we still pass x = lon).
- ``EPSG:3857``: Web Mercator.
- ``EPSG:4524``/``4525``/``4526``: CGCS2000 3° Gauss-Krüger zones 36/37/38 (central meridians 108°E, 111°E,
  114°E) WITH the zone number in the false easting (x = 36 500 000 + …); these three zones cover Hunan
  (108°47′E–114°15′E).
- ``EPSG:4545``/``4546``/``4547``: the same zones by central meridian, WITHOUT the zone number (false easting
  500 000 m).
- ``GCJ02`` and ``BD09``: the Chinese web-map obfuscations (国测局 GCJ-02, used by Amap/Tencent; Baidu's BD-09 on
  top of it). They are not in the EPSG registry, so we declare them as non-EPSG CRS URIs under our own
  authority: ``http://www.opengis.net/def/crs/zhicheng/0/GCJ02`` and ``…/zhicheng/0/BD09`` (longitude,
  latitude in degrees). They exist only at the edge: converted on the way in, produced on the way out.

WGS 84 and CGCS2000 differ by centimetres; conversions between them are the identity (PROJ's ballpark), while
the labels stay right.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from zhicheng.core.errors import Invalid

OGC_CRS_PREFIX = "http://www.opengis.net/def/crs/"
ZHICHENG_AUTHORITY = "zhicheng"


@dataclass(frozen=True)
class CrsInfo:
    """One coordinate system we speak."""

    key: str  # canonical short name, e.g. "EPSG:4490", "CRS84", "GCJ02"
    uri: str  # the OGC URI (OGC API Features Part 2 `crs` values)
    name_zh: str
    name_en: str
    epsg: int | None  # the EPSG code PROJ uses for it (GCJ-02/BD-09: None, computed from WGS 84)
    geographic: bool  # degrees (lon/lat) rather than metres
    lat_first: bool = False  # the authority's axis order is latitude first (EPSG:4490, EPSG:4326)
    offset: str | None = None  # "gcj02" or "bd09" for the Chinese web-map obfuscations

    @property
    def proj_epsg(self) -> int:
        """The EPSG code of the PROJ CRS this one is computed through (GCJ-02/BD-09 go through WGS 84)."""
        return self.epsg if self.epsg is not None else 4326

    def as_dict(self) -> dict:
        return {"key": self.key, "uri": self.uri, "name_zh": self.name_zh, "name_en": self.name_en,
                "epsg": self.epsg, "geographic": self.geographic, "lat_first": self.lat_first}


def _epsg(code: int, zh: str, en: str, *, geographic: bool = False, lat_first: bool = False) -> CrsInfo:
    return CrsInfo(f"EPSG:{code}", f"{OGC_CRS_PREFIX}EPSG/0/{code}", zh, en, code, geographic, lat_first)


CRS84 = CrsInfo("CRS84", f"{OGC_CRS_PREFIX}OGC/1.3/CRS84", "WGS 84 经纬度（经度在前）",
                "WGS 84 longitude/latitude (CRS84)", 4326, True)
CGCS2000 = _epsg(4490, "2000国家大地坐标系（CGCS2000）", "CGCS2000 geographic", geographic=True, lat_first=True)
WGS84 = _epsg(4326, "WGS 84 经纬度", "WGS 84 geographic", geographic=True, lat_first=True)
WEB_MERCATOR = _epsg(3857, "Web 墨卡托", "Web Mercator")
GCJ02 = CrsInfo("GCJ02", f"{OGC_CRS_PREFIX}{ZHICHENG_AUTHORITY}/0/GCJ02", "GCJ-02（国测局坐标，高德/腾讯）",
                "GCJ-02 (Amap/Tencent web maps)", None, True, offset="gcj02")
BD09 = CrsInfo("BD09", f"{OGC_CRS_PREFIX}{ZHICHENG_AUTHORITY}/0/BD09", "BD-09（百度坐标）",
               "BD-09 (Baidu maps)", None, True, offset="bd09")

# CGCS2000 3° Gauss-Krüger zones covering Hunan: zone number → (EPSG with zone prefix, EPSG by central meridian)
HUNAN_GK_ZONES = {36: (4524, 4545), 37: (4525, 4546), 38: (4526, 4547)}
GAUSS_KRUGER = tuple(
    crs
    for zone, (with_zone, by_cm) in HUNAN_GK_ZONES.items()
    for crs in (
        _epsg(with_zone, f"CGCS2000 3度带高斯-克吕格 第{zone}带（带号加常数）",
              f"CGCS2000 3-degree Gauss-Kruger zone {zone} (zone number in false easting)"),
        _epsg(by_cm, f"CGCS2000 3度带高斯-克吕格 中央经线{zone * 3}°E（不加带号）",
              f"CGCS2000 3-degree Gauss-Kruger CM {zone * 3}E (no zone number)"),
    )
)

SUPPORTED: tuple[CrsInfo, ...] = (CRS84, CGCS2000, WGS84, WEB_MERCATOR, *GAUSS_KRUGER, GCJ02, BD09)
STORAGE = CGCS2000

_ALIASES = {
    "crs84": CRS84, "ogc:crs84": CRS84, "urn:ogc:def:crs:ogc:1.3:crs84": CRS84, "urn:ogc:def:crs:ogc::crs84": CRS84,
    "cgcs2000": CGCS2000, "cgcs 2000": CGCS2000, "2000国家大地坐标系": CGCS2000, "国家2000": CGCS2000,
    "wgs84": WGS84, "wgs 84": WGS84, "wgs-84": WGS84,
    "webmercator": WEB_MERCATOR, "web mercator": WEB_MERCATOR, "pseudo-mercator": WEB_MERCATOR,
    "epsg:900913": WEB_MERCATOR, "epsg:3785": WEB_MERCATOR,
    "gcj02": GCJ02, "gcj-02": GCJ02, "gcj": GCJ02, "gcj_02": GCJ02, "火星坐标": GCJ02, "国测局坐标": GCJ02,
    "bd09": BD09, "bd-09": BD09, "bd09ll": BD09, "bd": BD09, "bd_09": BD09, "百度坐标": BD09,
}
_BY_EPSG = {c.epsg: c for c in SUPPORTED if c.epsg is not None and c is not CRS84}
_URN_EPSG = re.compile(r"^urn:ogc:def:crs:epsg:[0-9.]*:(\d+)$")
_URI_EPSG = re.compile(r"^https?://www\.opengis\.net/def/crs/epsg/[^/]+/(\d+)$")
_URI_ZHICHENG = re.compile(r"^https?://www\.opengis\.net/def/crs/zhicheng/[^/]+/(\w+)$")
_URI_OGC = re.compile(r"^https?://www\.opengis\.net/def/crs/ogc/[^/]+/crs84$")


class UnknownCrs(Invalid):
    """A CRS we do not speak (the message lists those we do)."""

    code = "unknown_crs"


def supported_keys() -> str:
    return ", ".join(c.key for c in SUPPORTED)


def unknown_crs(text: str, field: str | None = None) -> UnknownCrs:
    shown = text if len(text) <= 80 else text[:77] + "…"
    return UnknownCrs(f"不支持的坐标系：{shown}；支持：{supported_keys()}",
                      f"unknown or unsupported CRS: {shown}; supported: {supported_keys()}", field=field)


def parse_crs(value: str | int | CrsInfo | None, *, field: str | None = "crs",
              default: CrsInfo | None = None) -> CrsInfo:
    """A CRS from a key, alias, `EPSG:n`, bare code, OGC URI/URN or WKT; UnknownCrs (naming `field`) otherwise."""
    if isinstance(value, CrsInfo):
        return value
    if value is None or (isinstance(value, str) and not value.strip()):
        if default is not None:
            return default
        raise UnknownCrs("未指定坐标系", "no CRS given", field=field)
    if isinstance(value, int) and not isinstance(value, bool):
        found = _BY_EPSG.get(value)
        if found is None:
            raise unknown_crs(f"EPSG:{value}", field)
        return found
    if not isinstance(value, str):
        raise unknown_crs(repr(value), field)
    found = _lookup(value.strip())
    if found is None:
        raise unknown_crs(value.strip(), field)
    return found


def _lookup(text: str) -> CrsInfo | None:
    low = text.lower()
    if low in _ALIASES:
        return _ALIASES[low]
    if low.startswith("epsg:") and low[5:].isdigit():
        return _BY_EPSG.get(int(low[5:]))
    if low.isdigit():
        return _BY_EPSG.get(int(low))
    for pattern in (_URN_EPSG, _URI_EPSG):
        m = pattern.match(low)
        if m:
            return _BY_EPSG.get(int(m.group(1)))
    if _URI_OGC.match(low):
        return CRS84
    m = _URI_ZHICHENG.match(low)
    if m:
        return _ALIASES.get(m.group(1))
    if len(text) > 20 and ("[" in text or text.startswith("{") or text.startswith("+proj")):
        return _from_definition(text)
    return None


@lru_cache(maxsize=256)
def _from_definition(text: str) -> CrsInfo | None:
    """A WKT / PROJ JSON / PROJ string (e.g. a Shapefile's .prj) matched to one of ours through PROJ's database."""
    import pyproj

    try:
        crs = pyproj.CRS.from_user_input(text)
    except pyproj.exceptions.CRSError:
        return None
    code = crs.to_epsg(min_confidence=70)
    if code is None:
        try:  # an ESRI-written .prj may only match with a lower confidence
            code = crs.to_epsg(min_confidence=25)
        except pyproj.exceptions.CRSError:
            return None
    return _BY_EPSG.get(code) if code is not None else None
