"""The demo city's standard address layer (地名地址库), generated inside Changsha's real geography.

The model follows GB/T 23705 / CH/Z 9010 in spirit: 行政区划 (district, street/township, community) → 街路巷 →
门楼牌 → 楼栋, plus POIs (points of interest: estates, schools, markets) and 地片 (local area names). The district
polygons, the 170 township-level units of 2025 with their 9-digit codes and the community names and points are
real (through `demo.geography`, whose street and community units are approximate Voronoi cells around the real
centre points); every road, door number, building, estate, POI and 地片 is generated (系统生成的演示数据), with a
fixed seed, inside those units. A handful of roads carry the names of real Changsha roads in their real district
so that a citizen's complaint reads naturally ("岳麓区麓山南路932号附近"); their course is generated too.

Door numbers follow the usual rule: odd on the left, even on the right, rising every `DOOR_STEP` metres along the
road, so that a number not in the layer can be placed between its neighbours.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import shapely
from pyproj import Transformer
from shapely.geometry import LineString, Point

from zhicheng.demo import names

SEED = 20260713
DOOR_STEP = 4.0  # metres between consecutive door numbers (odd and even sides alternate)
GENERATED_NOTE = "系统生成的演示数据"

COLUMNS = ("address_code", "address_kind", "district_code", "district_name", "street_code", "street_name",
           "community_code", "community_name", "road_name", "house_number", "building_no", "place_name",
           "full_address", "longitude", "latitude", "geometry")

# address_kind values and the digit each takes in the address code
KINDS = {"区县": 0, "街道": 1, "社区": 2, "街路巷": 3, "门牌": 4, "楼栋": 5, "POI": 6, "地片": 7}

PROVINCE = "湖南省"
CITY = "长沙市"

# real road names of Changsha, each placed (with a generated course) in the street unit named
REAL_ROADS = (
    ("430104", "岳麓街道", "麓山南路", 5200), ("430104", "望月湖街道", "枫林一路", 2600),
    ("430104", "银盆岭街道", "银盆南路", 2400), ("430102", "韭菜园街道", "五一大道", 5000),
    ("430102", "定王台街道", "芙蓉中路", 4200), ("430102", "文艺路街道", "八一路", 2200),
    ("430103", "坡子街街道", "解放西路", 2600), ("430103", "城南路街道", "劳动西路", 3000),
    ("430105", "望麓园街道", "湘江中路", 4000), ("430105", "湘雅路街道", "中山路", 2000),
    ("430111", "侯家塘街道", "韶山北路", 3800), ("430111", "高桥街道", "万家丽中路", 4400),
    ("430121", "星沙街道", "开元东路", 3600), ("430112", "高塘岭街道", "郭亮中路", 2400),
    ("430181", "集里街道", "金沙北路", 2600), ("430182", "玉潭街道", "花明北路", 2800),
)
MORE_STEMS = ("松桂", "荷塘", "紫薇", "玉兰", "竹山", "清水", "青山", "金桥", "银湖", "石门", "桃源", "杏林", "莲湖",
              "龙泉", "凤凰", "麒麟", "锦绣", "长兴", "永安", "仁和", "兴隆", "福星", "明珠", "碧湖", "翠微", "沙河",
              "新塘", "高岭", "杉木", "樟树", "栗山", "枫树", "梅岭", "云山", "月湖", "晓园", "桂园", "秀峰")
PLACE_SUFFIXES = ("坪", "湾", "冲", "塘", "岭", "坡", "洲", "垅")
POI_TYPES = ("小学", "中学", "幼儿园", "农贸市场", "社区卫生服务站", "公园", "超市", "派出所", "加油站", "停车场")

_TO_M = Transformer.from_crs(4490, 4547, always_xy=True)  # CGCS2000 → its 3° Gauss-Krüger zone at 114°E
_TO_LL = Transformer.from_crs(4547, 4490, always_xy=True)


def _metric(geom):
    return shapely.transform(geom, lambda xy: _stack(*_TO_M.transform(xy[:, 0], xy[:, 1])))


def _lonlat(geom):
    return shapely.transform(geom, lambda xy: _stack(*_TO_LL.transform(xy[:, 0], xy[:, 1])))


def _stack(x, y):
    import numpy as np

    return np.column_stack([x, y])


def community_short_name(name: str) -> str:
    """识字里社区居委会 → 识字里社区; 新建村委会 → 新建村 (the name people write)."""
    for long, short in (("社区居民委员会", "社区"), ("社区居委会", "社区"), ("居民委员会", "社区"), ("居委会", "社区"),
                        ("村民委员会", "村"), ("村委会", "村")):
        if name.endswith(long):
            return name[: -len(long)] + short
    return name


@dataclass
class _Street:
    code: str
    name: str
    district_code: str
    area: object  # metric polygon
    boundary: str  # the approximate boundary (lon/lat WKT)
    centre: object  # metric point: the real centre point where published
    communities: list  # (code, short name, metric polygon, metric centre point, lon/lat boundary WKT)


@cache
def _district_names() -> dict[str, str]:
    from zhicheng.demo import geography

    out = {}
    with geography._data("changsha_townships_2025.csv").open(encoding="utf-8", newline="") as fh:
        import csv

        for row in csv.DictReader(fh):
            if row["level"] == "3":
                out[row["code"]] = row["name"]
    return out


def _wkt(geom) -> str:
    """Lon/lat geometry as WKT at 6 decimals (about 0.1 m), kept valid after the rounding."""
    return shapely.to_wkt(shapely.make_valid(shapely.set_precision(geom, 1e-6)), rounding_precision=6)


def _real_points() -> dict[str, Point]:
    """The published centre points of townships (2025 codes) and communities (statistical codes), lon/lat."""
    import json

    from zhicheng.demo import geography

    out = {code: Point(lon, lat) for code, (lon, lat, _src) in geography._township_points().items()}
    doc = json.loads(geography._data("changsha_community_points.geojson").read_text(encoding="utf-8"))
    for f in doc["features"]:
        out[f["properties"]["code"]] = Point(*f["geometry"]["coordinates"])
    return out


def _streets() -> list[_Street]:
    from zhicheng.demo import geography

    real = _real_points()

    def centre(code, area_m):
        pt = real.get(code)
        pt_m = _metric(pt) if pt is not None else None
        return pt_m if pt_m is not None and area_m.contains(pt_m) else area_m.representative_point()

    comms: dict[str, list] = {}
    for c in geography.communities():
        area = shapely.make_valid(_metric(c.geometry))
        comms.setdefault(c.parent_code, []).append((c.code, community_short_name(c.name), area,
                                                    centre(c.code, area), _wkt(c.geometry)))
    out = []
    for u in geography.street_units():
        area = shapely.make_valid(_metric(u.geometry))
        out.append(_Street(u.code, u.name, u.district_code, area, _wkt(u.geometry), centre(u.code, area),
                           comms.get(u.code, [])))
    return out


def _fmt(v: float) -> str:
    return f"{v:.6f}"


def _point_row(kind: str, seq: int, street: _Street, pt_m, **fields) -> dict:
    pt = _lonlat(pt_m)
    district = _district_names()[street.district_code]
    row = {c: "" for c in COLUMNS}
    row.update(address_code=f"{street.code}{KINDS[kind]}{seq:08d}", address_kind=kind,
               district_code=street.district_code, district_name=district, street_code=street.code,
               street_name=street.name, longitude=_fmt(pt.x), latitude=_fmt(pt.y),
               geometry=f"POINT ({_fmt(pt.x)} {_fmt(pt.y)})")
    row.update(fields)
    return row


class _Names:
    """Unique names within one district."""

    def __init__(self, rnd: random.Random) -> None:
        self.rnd = rnd
        self.taken: set[str] = set()
        self.stems = names.ROAD_STEMS + MORE_STEMS

    def claim(self, name: str) -> bool:
        if name in self.taken:
            return False
        self.taken.add(name)
        return True

    def make(self, suffixes) -> str:
        for _ in range(200):
            name = self.rnd.choice(self.stems) + self.rnd.choice(suffixes)
            if self.claim(name):
                return name
        for n in itertools.count(2):
            name = f"{self.rnd.choice(self.stems)}{n}{suffixes[0]}"
            if self.claim(name):
                return name
        raise AssertionError("unreachable")


def _road_line(rnd: random.Random, anchor, length: float, area):
    """A gently bent road through `anchor`, clipped to `area` (metric); the longest piece, or None."""
    import math

    east = rnd.random() < 0.5
    angle = math.radians((0 if east else 90) + rnd.uniform(-15, 15))
    dx, dy = math.cos(angle) * length / 2, math.sin(angle) * length / 2
    bend = rnd.uniform(-0.06, 0.06) * length
    mid = (anchor.x - math.sin(angle) * bend, anchor.y + math.cos(angle) * bend)
    line = LineString([(anchor.x - dx, anchor.y - dy), mid, (anchor.x + dx, anchor.y + dy)])
    clipped = shapely.intersection(line, area)
    parts = [p for p in shapely.get_parts(clipped) if p.geom_type == "LineString"]
    if not parts:
        return None
    best = max(parts, key=lambda p: p.length)
    return best if best.length >= 250 else None


def _door_point(line: LineString, number: int, offset: float = 12.0):
    """Where door `number` stands: `DOOR_STEP` metres a number along the line, odd on the left, even on the right."""
    k = (number - 1) // 2
    d = min(line.length, k * DOOR_STEP * 2 + DOOR_STEP)
    a = line.interpolate(max(0.0, d - 1))
    b = line.interpolate(min(line.length, d + 1))
    p = line.interpolate(d)
    vx, vy = b.x - a.x, b.y - a.y
    norm = (vx * vx + vy * vy) ** 0.5 or 1.0
    side = 1 if number % 2 else -1
    return Point(p.x - vy / norm * offset * side, p.y + vx / norm * offset * side)


def records(seed: int = SEED, doors_per_road: int = 14) -> Iterator[dict]:
    """Every record of the demo address layer: districts, streets, communities, roads, doors, buildings, POIs and
    地片, each with its admin codes and a CGCS2000 point (roads: their line), deterministic for a seed."""
    from zhicheng.demo import geography

    rnd = random.Random(seed)
    streets = _streets()
    real = {(d, s): (road, length) for d, s, road, length in REAL_ROADS}
    for code, shape_ll in sorted(geography.district_shapes().items()):
        if code not in _district_names():
            continue
        pt = shape_ll.representative_point()
        row = {c: "" for c in COLUMNS}
        row.update(address_code=f"{code}000{KINDS['区县']}{0:08d}", address_kind="区县", district_code=code,
                   district_name=_district_names()[code], full_address=f"{PROVINCE}{CITY}{_district_names()[code]}",
                   longitude=_fmt(pt.x), latitude=_fmt(pt.y), geometry=_wkt(shape_ll))
        yield row
    namers: dict[str, _Names] = {}
    for street in streets:
        namer = namers.setdefault(street.district_code, _Names(random.Random(f"{seed}:{street.district_code}")))
        district = _district_names()[street.district_code]
        prefix = f"{PROVINCE}{CITY}{district}{street.name}"
        seq = iter(range(1, 10**8))
        centre = street.centre
        row = _point_row("街道", next(seq), street, centre, full_address=prefix)
        row["geometry"] = street.boundary  # the approximate street unit (近似边界，非官方)
        yield row
        comm_tree = shapely.STRtree([c[2] for c in street.communities]) if street.communities else None
        anchors = [centre]
        for c_code, c_name, _c_area, p, c_boundary in street.communities:
            anchors.append(p)
            row = _point_row("社区", next(seq), street, p, community_code=c_code, community_name=c_name,
                             full_address=f"{prefix}{c_name}")
            row["geometry"] = c_boundary
            yield row

        def community_of(pt, comm_tree=comm_tree, street=street):
            if comm_tree is None:
                return "", ""
            hits = comm_tree.query(pt, predicate="intersects")
            if len(hits):
                return street.communities[int(hits[0])][:2]
            return street.communities[int(comm_tree.nearest(pt))][:2]

        side = street.area.area ** 0.5
        n_roads = max(3, min(8, 3 + len(street.communities) // 2))
        plans = []
        if (street.district_code, street.name) in real:
            road, length = real[(street.district_code, street.name)]
            namer.claim(road)
            plans.append((road, float(length)))
        for _ in range(n_roads):
            plans.append((None, max(500.0, min(2500.0, side * rnd.uniform(0.3, 0.7)))))
        roads_made = 0
        for i, (road_name, length) in enumerate(plans):
            anchor = anchors[i % len(anchors)]
            anchor = Point(anchor.x + rnd.uniform(-150, 150), anchor.y + rnd.uniform(-150, 150))
            line = None
            for _ in range(6):
                line = _road_line(rnd, anchor, length, street.area)
                if line is not None:
                    break
                anchor = street.area.representative_point() if rnd.random() < 0.5 else anchor
            if line is None:
                continue
            name = road_name or namer.make(names.ROAD_SUFFIXES)
            roads_made += 1
            mid = line.interpolate(0.5, normalized=True)
            c_code, c_name = community_of(mid)
            line_ll = _lonlat(line)
            mid_ll = _lonlat(mid)
            row = _point_row("街路巷", next(seq), street, mid, road_name=name, full_address=f"{prefix}{name}",
                             community_code=c_code, community_name=c_name)
            row["geometry"] = shapely.to_wkt(line_ll, rounding_precision=6)
            row["longitude"], row["latitude"] = _fmt(mid_ll.x), _fmt(mid_ll.y)
            yield row
            top = int(line.length // DOOR_STEP)  # the highest door number the road holds
            count = min(top, doors_per_road * (3 if road_name else 1))
            for number in sorted(rnd.sample(range(1, top + 1), count)):
                door = _door_point(line, number)
                if not street.area.contains(door):
                    continue
                c_code, c_name = community_of(door)
                door_text = f"{prefix}{name}{number}号"
                yield _point_row("门牌", next(seq), street, door, road_name=name, house_number=f"{number}号",
                                 community_code=c_code, community_name=c_name, full_address=door_text)
                roll = rnd.random()
                if roll < 0.25:  # an estate behind the door: the POI and its buildings
                    estate = namer.make(names.ESTATE_SUFFIXES)
                    yield _point_row("POI", next(seq), street, door, road_name=name, house_number=f"{number}号",
                                     community_code=c_code, community_name=c_name, place_name=estate,
                                     full_address=f"{door_text}（{estate}）")
                    for b in range(1, rnd.randint(2, 6)):
                        back = _door_point(line, number, offset=12.0 + 25.0 * b)
                        bpt = Point(back.x + rnd.uniform(-15, 15), back.y + rnd.uniform(-15, 15))
                        if not street.area.contains(bpt):
                            continue
                        yield _point_row("楼栋", next(seq), street, bpt, road_name=name, house_number=f"{number}号",
                                         building_no=f"{b}栋", community_code=c_code, community_name=c_name,
                                         place_name=estate, full_address=f"{door_text}{b}栋")
                elif roll < 0.31:  # a public place at the door
                    kind = rnd.choice(POI_TYPES)
                    stem = c_name.removesuffix("社区").removesuffix("村") if c_name else street.name[:2]
                    place = f"{stem}{kind}"
                    if not namer.claim(place):
                        place = f"{name}{kind}"
                        if not namer.claim(place):
                            continue
                    yield _point_row("POI", next(seq), street, door, road_name=name, house_number=f"{number}号",
                                     community_code=c_code, community_name=c_name, place_name=place,
                                     full_address=f"{door_text}（{place}）")
        # one 地片 (a local area name) near a community point or the centre
        base = anchors[rnd.randrange(len(anchors))]
        spot = Point(base.x + rnd.uniform(-200, 200), base.y + rnd.uniform(-200, 200))
        if not street.area.contains(spot):
            spot = base
        place = namer.make(PLACE_SUFFIXES)
        c_code, c_name = community_of(spot)
        yield _point_row("地片", next(seq), street, spot, place_name=place, community_code=c_code,
                         community_name=c_name, full_address=f"{prefix}{place}")
