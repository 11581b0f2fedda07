"""The in-memory index of one version of an address layer: names (Aho-Corasick), doors, boundaries, points."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import ahocorasick
import numpy as np
import shapely

# the layer's address_kind values and the geocoding level each gives when matched
LEVEL_OF_KIND = {"门牌": "门牌", "楼栋": "门牌", "POI": "门牌", "街路巷": "街路巷", "地片": "社区", "社区": "社区",
                 "街道": "街道", "区县": "区县"}
LEVELS = ("门牌", "街路巷", "社区", "街道", "区县")
REQUIRED_COLUMNS = ("address_kind", "district_code", "full_address", "longitude", "latitude")
PROVINCE_CITY = ("湖南省", "湖南", "长沙市", "长沙")
_DISTRICT_SUFFIX = ("自治县", "区", "县", "市")
_STREET_SUFFIX = ("街道办事处", "街道", "镇", "乡")
_COMMUNITY_SUFFIX = ("社区", "村")


@dataclass(slots=True)
class Place:
    """One record of the address layer."""

    kind: str
    code: str
    district_code: str
    district_name: str
    street_code: str
    street_name: str
    community_code: str
    community_name: str
    road_name: str
    house_number: str
    building_no: str
    place_name: str
    full_address: str
    lon: float
    lat: float


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _number(house_number: str) -> int | None:
    digits = "".join(c for c in house_number.split("-")[0] if c.isdigit())
    return int(digits) if digits else None


def _geometry(value: Any):
    """A layer's geometry cell (compact GeoJSON text as the catalog stores it, WKT, or a GeoJSON object)."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, Mapping):
            return shapely.from_geojson(json.dumps(value))
        text = str(value)
        return shapely.from_geojson(text) if text.lstrip().startswith("{") else shapely.from_wkt(text)
    except (shapely.errors.GEOSException, ValueError):
        return None


def short_forms(name: str, suffixes: tuple[str, ...]) -> list[str]:
    """岳麓区 → [岳麓]; 坡子街街道 → [坡子街]; the forms people write without the suffix (two characters at least)."""
    for suffix in suffixes:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return [name[: -len(suffix)]]
    return []


@lru_cache(maxsize=65536)
def pinyin_of(text: str) -> str:
    """The toneless pinyin of a name, syllables apart (鹿山南路 and 麓山南路 read alike: how most typos happen)."""
    from pypinyin import lazy_pinyin

    return " ".join(lazy_pinyin(text))


def metres_between(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (haversine on the CGCS2000 semi-major axis; enough for "how far")."""
    r = 6378137.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(min(1.0, math.sqrt(a)))


class AddressIndex:
    """Every name of one layer version in one automaton; doors by (district, road, number); boundaries and points
    in STR-trees for reverse geocoding. Built once per layer version, then read by many callers (read only)."""

    def __init__(self, rows: Iterable[Mapping[str, Any]], *, key: tuple = ()) -> None:
        self.key = key
        self.places: list[Place] = []
        self.districts: dict[str, int] = {}
        self.streets: dict[str, int] = {}
        self.communities: dict[tuple[str, str], int] = {}  # (street code, name) → place
        self.roads: dict[str, list[int]] = {}  # road name → road records (one per district/street stretch)
        self.road_lines: dict[int, object] = {}
        self.doors: dict[tuple[str, str, int], int] = {}  # (district, road, number) → door
        self.doors_on_road: dict[tuple[str, str], list[tuple[int, int]]] = {}  # sorted (number, door)
        self.buildings: dict[tuple[str, str, int], dict[str, int]] = {}  # door key → building no → record
        self.named: dict[str, list[int]] = {}  # POI and 地片 names → records
        self.road_names_in: dict[str, list[str]] = {}  # district → road names (fuzzy matching)
        polygons: dict[str, list[tuple[object, int]]] = {"区县": [], "街道": [], "社区": []}
        points: list[int] = []
        for row in rows:
            idx = self._add(row, polygons)
            if idx is not None and self.places[idx].kind in ("门牌", "楼栋", "POI"):
                points.append(idx)
        if not self.places:
            raise ValueError("the layer holds no address records")
        for doors in self.doors_on_road.values():
            doors.sort()
        self.all_road_names = sorted(self.roads)
        self.road_pinyin = {name: pinyin_of(name) for name in self.all_road_names}
        self._choices: dict[str, dict[str, str]] = {}
        self.trees = {kind: (shapely.STRtree([g for g, _ in pairs]), [i for _, i in pairs])
                      for kind, pairs in polygons.items() if pairs}
        self.point_ids = np.array(points, dtype=np.int64)
        self.point_tree = shapely.STRtree(shapely.points([(self.places[i].lon, self.places[i].lat) for i in points])) \
            if points else None
        self.automaton = self._automaton()

    def _add(self, row: Mapping[str, Any], polygons) -> int | None:
        kind = _text(row.get("address_kind"))
        if kind not in LEVEL_OF_KIND:
            return None
        try:
            lon, lat = float(row.get("longitude")), float(row.get("latitude"))
        except (TypeError, ValueError):
            geom = _geometry(row.get("geometry"))
            if geom is None or geom.is_empty:
                return None
            pt = geom.representative_point() if geom.geom_type != "Point" else geom
            lon, lat = pt.x, pt.y
        place = Place(kind, _text(row.get("address_code")), _text(row.get("district_code")),
                      _text(row.get("district_name")), _text(row.get("street_code")), _text(row.get("street_name")),
                      _text(row.get("community_code")), _text(row.get("community_name")), _text(row.get("road_name")),
                      _text(row.get("house_number")), _text(row.get("building_no")), _text(row.get("place_name")),
                      _text(row.get("full_address")), lon, lat)
        idx = len(self.places)
        self.places.append(place)
        if kind in polygons:
            geom = _geometry(row.get("geometry"))
            if geom is not None and geom.geom_type in ("Polygon", "MultiPolygon"):
                polygons[kind].append((geom, idx))
        if kind == "区县":
            self.districts.setdefault(place.district_code, idx)
        elif kind == "街道":
            self.streets.setdefault(place.street_code, idx)
        elif kind == "社区" and place.community_name:
            self.communities.setdefault((place.street_code, place.community_name), idx)
        elif kind == "街路巷" and place.road_name:
            self.roads.setdefault(place.road_name, []).append(idx)
            names = self.road_names_in.setdefault(place.district_code, [])
            if place.road_name not in names:
                names.append(place.road_name)
            geom = _geometry(row.get("geometry"))
            if geom is not None and geom.geom_type in ("LineString", "MultiLineString"):
                self.road_lines[idx] = geom
        elif kind == "门牌" and place.road_name:
            number = _number(place.house_number)
            if number is not None:
                key = (place.district_code, place.road_name, number)
                self.doors.setdefault(key, idx)
                self.doors_on_road.setdefault(key[:2], []).append((number, idx))
        elif kind == "楼栋" and place.road_name:
            number = _number(place.house_number)
            if number is not None and place.building_no:
                self.buildings.setdefault((place.district_code, place.road_name, number), {})[
                    place.building_no.removesuffix("栋").upper()] = idx
        if kind in ("POI", "地片") and place.place_name:
            self.named.setdefault(place.place_name, []).append(idx)
        return idx

    def _automaton(self) -> ahocorasick.Automaton:
        """One automaton over every name: value (name, [(type, ref), …]); types X province/city, D district,
        S street, C community, R road, P place (POI or 地片)."""
        entries: dict[str, list[tuple[str, Any]]] = {}

        def add(name: str, kind: str, ref: Any) -> None:
            if len(name) >= 2:
                entries.setdefault(name, []).append((kind, ref))

        for name in PROVINCE_CITY:
            add(name, "X", name)
        district_names = {self.places[i].district_name for i in self.districts.values()}
        for code, i in self.districts.items():
            name = self.places[i].district_name
            add(name, "D", code)
            for short in short_forms(name, _DISTRICT_SUFFIX):
                if short not in PROVINCE_CITY:
                    add(short, "D", code)
        for code, i in self.streets.items():
            name = self.places[i].street_name
            add(name, "S", code)
            for short in short_forms(name, _STREET_SUFFIX):
                if short not in district_names and short not in PROVINCE_CITY:
                    add(short, "S", code)
        for (_street, name), i in self.communities.items():
            add(name, "C", i)
            for short in short_forms(name, _COMMUNITY_SUFFIX):
                add(short, "C", i)
        for name in self.roads:
            add(name, "R", name)
        for name in self.named:
            add(name, "P", name)
        auto = ahocorasick.Automaton()
        for name, refs in entries.items():
            auto.add_word(name, (name, tuple(refs)))
        auto.make_automaton()
        return auto

    def road_choices(self, district: str) -> dict[str, str]:
        """Road name → its pinyin, for the district's roads (every road when the district is not known)."""
        found = self._choices.get(district)
        if found is None:
            names = self.road_names_in.get(district) or self.all_road_names
            found = self._choices[district] = {name: self.road_pinyin[name] for name in names}
        return found

    def nearest_point(self, lon: float, lat: float) -> int | None:
        """The door, building or POI nearest to (lon, lat)."""
        if self.point_tree is None:
            return None
        return int(self.point_ids[int(self.point_tree.nearest(shapely.Point(lon, lat)))])

    def containing(self, kind: str, lon: float, lat: float) -> int | None:
        """The 区县 / 街道 / 社区 record whose boundary contains (lon, lat)."""
        tree = self.trees.get(kind)
        if tree is None:
            return None
        hits = tree[0].query(shapely.Point(lon, lat), predicate="intersects")
        return tree[1][int(hits[0])] if len(hits) else None
