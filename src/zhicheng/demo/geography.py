"""The demo city's approximate street units (街道/乡镇) and communities (社区/村): Voronoi splits of real centre points
clipped to the real district boundaries, with their real codes and names (近似边界，非官方 / approximate, not official).

Inputs (bundled in `data/`, see SOURCES.md): the 9 district polygons (CGCS2000), the 170 township-level units of
2025 (民政部 division table), a centre point for 152 of them, and 458 village/community centre points with their
statistical codes and urban-rural class (统计用城乡分类代码). The work is done in metres, in the CGCS2000 3° Gauss-Krüger
zone of the city's centre (EPSG:4547, 114°E).

Townships without a published centre point (18 of 170, mostly streets split off after 2016) get a seed that is
placed, deterministically, at the point of their district farthest from every other seed; their feature says so
(`centre_source` = 推定). A community point that falls outside every street unit of its district joins the
nearest one.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import shapely
from shapely.geometry import MultiPoint, Point, shape

from zhicheng.geo.grids.metric import gk_epsg, lonlat_text, to_lonlat, to_metric

APPROXIMATE_ZH = "近似边界，非官方"
APPROXIMATE_EN = "approximate, not official"
CITY_EPSG = gk_epsg(113.0)  # the city's zone (CGCS2000 / 3-degree Gauss-Krüger CM 114E)
URBAN_CORE = "111"  # 统计用城乡分类代码: 111 主城区
DENSIFY_DEG = 0.002  # about 200 m


@dataclass(frozen=True)
class Unit:
    """A street unit or a community: real code and name, an approximate boundary in CGCS2000 lon/lat."""

    code: str
    name: str
    level: str  # street | community
    parent_code: str  # the district of a street unit; the street unit of a community
    district_code: str
    kind: str  # 街道 / 镇 / 乡 / 社区 / 村
    source: str  # where the centre point comes from
    ur_code: str  # urban-rural class of a community ("" for street units)
    geometry: object  # shapely (Multi)Polygon, lon/lat

    @property
    def urban_core(self) -> bool:
        return self.ur_code == URBAN_CORE


def _data(name: str):
    return resources.files("zhicheng.demo").joinpath("data", name)


@cache
def district_shapes() -> dict[str, object]:
    """District code → real boundary (CGCS2000 lon/lat)."""
    doc = json.loads(_data("changsha_districts.geojson").read_text(encoding="utf-8"))
    return {str(f["properties"]["adcode"]): shape(f["geometry"]) for f in doc["features"]}


def _townships() -> list[dict[str, str]]:
    with _data("changsha_townships_2025.csv").open(encoding="utf-8", newline="") as fh:
        return [r for r in csv.DictReader(fh) if r["level"] == "4"]


def _township_points() -> dict[str, tuple[float, float, str]]:
    doc = json.loads(_data("changsha_township_points.geojson").read_text(encoding="utf-8"))
    out = {}
    for f in doc["features"]:
        p = f["properties"]
        source = "GeoNames" if p["match"] == "geonames" else "Vonng/adcode"
        out[p["code_2025"]] = (*f["geometry"]["coordinates"], source)
    return out


def _kind(name: str) -> str:
    for suffix, kind in (("街道", "街道"), ("镇", "镇"), ("乡", "乡"), ("社区居委会", "社区"), ("居委会", "社区"),
                         ("村委会", "村"), ("村民委员会", "村")):
        if name.endswith(suffix):
            return kind
    return "其他"


def _farthest_point(area, seeds: list[Point], step: float) -> Point:
    """The lattice point of `area` (metres) farthest from every seed: where a township without a centre goes."""
    minx, miny, maxx, maxy = area.bounds
    xs, ys = np.meshgrid(np.arange(minx + step / 2, maxx, step), np.arange(miny + step / 2, maxy, step))
    cands = shapely.points(xs.ravel(), ys.ravel())
    cands = cands[shapely.contains_xy(area, xs.ravel(), ys.ravel())]
    if len(cands) == 0:
        return area.representative_point()
    if not seeds:
        return cands[len(cands) // 2]
    dist = np.min(np.stack([shapely.distance(cands, s) for s in seeds]), axis=0)
    return cands[int(np.argmax(dist))]


def _voronoi_split(area, seeds: list[Point]) -> list[object]:
    """`area` cut into one piece per seed (the seed's Voronoi cell clipped to the area), in seed order."""
    if len(seeds) == 1:
        return [area]
    minx, miny, maxx, maxy = area.bounds
    frame = shapely.box(minx - 1e4, miny - 1e4, maxx + 1e4, maxy + 1e4)
    cells = shapely.get_parts(shapely.voronoi_polygons(MultiPoint(seeds), extend_to=frame))
    pieces = []
    for seed in seeds:
        cell = next((c for c in cells if c.covers(seed)), None)
        piece = shapely.intersection(area, cell) if cell is not None else shapely.Polygon()
        pieces.append(shapely.make_valid(shapely.segmentize(piece, 200.0)))
    return pieces


def _polygonal(geom):
    """Only the polygons of a geometry (an intersection may leave lines and points behind)."""
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon") and p.area > 1.0]
    if not parts:
        return shapely.Polygon()
    return parts[0] if len(parts) == 1 else shapely.union_all(parts)


@cache
def street_units() -> tuple[Unit, ...]:
    """The 170 street units (街道/乡镇) of 2025: real codes and names, approximate boundaries."""
    points = _township_points()
    by_district: dict[str, list[dict]] = {}
    for row in _townships():
        by_district.setdefault(row["parent"], []).append(row)
    out: list[Unit] = []
    for district, shape_ll in district_shapes().items():
        # dense vertices first: a straight edge in lon/lat bends in metres, and cuts made in metres must land on
        # the lon/lat boundary (200 m segments keep the difference under a centimetre)
        area = shapely.make_valid(to_metric(shapely.segmentize(shape_ll, DENSIFY_DEG), CITY_EPSG))
        rows = sorted(by_district.get(district, []), key=lambda r: r["code"])
        seeds: dict[str, Point] = {}
        sources: dict[str, str] = {}
        for r in rows:
            if r["code"] in points:
                lon, lat, source = points[r["code"]]
                seeds[r["code"]] = to_metric(Point(lon, lat), CITY_EPSG)
                sources[r["code"]] = source
        step = max(200.0, (area.area / 4000) ** 0.5)
        for r in rows:
            if r["code"] not in seeds:
                seeds[r["code"]] = _farthest_point(area, list(seeds.values()), step)
                sources[r["code"]] = "推定（无公开中心点）"
        codes = [r["code"] for r in rows]
        pieces = _voronoi_split(area, [seeds[c] for c in codes])
        names = {r["code"]: r["name"] for r in rows}
        for code, piece in zip(codes, pieces, strict=True):
            piece = _polygonal(piece)
            if piece.is_empty:
                continue
            out.append(Unit(code, names[code], "street", district, district, _kind(names[code]), sources[code], "",
                            to_lonlat(piece, CITY_EPSG)))
    return tuple(sorted(out, key=lambda u: u.code))


@cache
def communities() -> tuple[Unit, ...]:
    """The 458 villages and communities with a published centre point: real statistical codes and names, each
    a Voronoi cell of its street unit (the street unit it lies in)."""
    doc = json.loads(_data("changsha_community_points.geojson").read_text(encoding="utf-8"))
    units = street_units()
    unit_metric = [shapely.make_valid(to_metric(u.geometry, CITY_EPSG)) for u in units]
    tree = shapely.STRtree(unit_metric)
    members: dict[int, list[tuple[str, str, str, Point]]] = {}
    for f in sorted(doc["features"], key=lambda f: f["properties"]["code"]):
        p = f["properties"]
        pt = to_metric(Point(*f["geometry"]["coordinates"]), CITY_EPSG)
        hits = [int(i) for i in tree.query(pt, predicate="intersects")]
        if not hits:  # outside every unit: the nearest one of its district
            same = [i for i, u in enumerate(units) if u.district_code == p["code"][:6]] or list(range(len(units)))
            hits = [min(same, key=lambda i: unit_metric[i].distance(pt))]
        members.setdefault(hits[0], []).append((p["code"], p["name"], p["ur_code"], pt))
    out: list[Unit] = []
    for i, group in members.items():
        unit = units[i]
        pieces = _voronoi_split(unit_metric[i], [g[3] for g in group])
        for (code, name, ur, _), piece in zip(group, pieces, strict=True):
            piece = _polygonal(piece)
            if piece.is_empty:
                continue
            out.append(Unit(code, name, "community", unit.code, unit.district_code, _kind(name), "Vonng/adcode", ur,
                            to_lonlat(piece, CITY_EPSG)))
    return tuple(sorted(out, key=lambda u: u.code))


# ------------------------------------------------------------------ demo resources (layers)

STREET_UNIT_COLUMNS = ("code", "name", "kind", "district_code", "centre_source", "boundary_note", "geometry")
COMMUNITY_COLUMNS = ("code", "name", "kind", "street_code", "district_code", "ur_code", "boundary_note", "geometry")
NOTE = f"{APPROXIMATE_ZH} / {APPROXIMATE_EN}"


def street_unit_rows():
    """Rows of the demo layer 街道（乡镇）近似边界."""
    for u in street_units():
        yield {"code": u.code, "name": u.name, "kind": u.kind, "district_code": u.district_code,
               "centre_source": u.source, "boundary_note": NOTE, "geometry": lonlat_text(u.geometry, 6)}


def community_rows():
    """Rows of the demo layer 社区（村）近似边界."""
    for u in communities():
        yield {"code": u.code, "name": u.name, "kind": u.kind, "street_code": u.parent_code,
               "district_code": u.district_code, "ur_code": u.ur_code, "boundary_note": NOTE,
               "geometry": lonlat_text(u.geometry, 6)}


# ------------------------------------------------------------------ the demo unit grid (万米单元网格)

@cache
def demo_grid_cells() -> tuple[dict, ...]:
    """The demo city's unit grid: generated inside the urban-core communities (统计用城乡分类 111 主城区) with the
    grid service's generator (square cells of about 10,000 m², larger where a community would need more than 99;
    no road layer is bundled, so the cells do not follow roads)."""
    from zhicheng.geo.grids.service import Parent, generate_cells

    parents = [Parent(u.district_code, u.parent_code, u.code, u.name, u.name, u.geometry)
               for u in communities() if u.urban_core]
    return tuple(generate_cells(parents))


def grid_rows(seed: int = 20240613):
    """Rows of the demo layer 万米单元网格: one generated inspector (网格监督员) per community."""
    import random

    from zhicheng.demo.generators import person_name
    from zhicheng.geo.grids.service import GRID_COLUMNS

    rnd = random.Random(seed)
    inspectors: dict[str, str] = {}
    for cell in demo_grid_cells():
        prefix = cell["grid_code"][:12]
        if prefix not in inspectors:
            inspectors[prefix] = person_name(rnd, rnd.random() < 0.5)
        row = {k: cell[k] for k in GRID_COLUMNS}
        row.update(area_m2=f"{cell['area_m2']:.1f}", inspector=inspectors[prefix],
                   geometry=lonlat_text(cell["geometry"], 7))
        yield row


GRID_COLUMNS = ("grid_code", "district_code", "street_code", "community_code", "community_name", "area_m2",
                "responsible_unit", "inspector", "geometry")  # as zhicheng.geo.grids.service.GRID_COLUMNS
