"""Seeded generators of the demo city's urban objects: city components (城市部件), parking lots, credit records."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from datetime import timedelta

from zhicheng.demo import names
from zhicheng.demo.city import districts, street_office_name, streets
from zhicheng.demo.generators import SEED, TODAY, Enterprise, point_in_district
from zhicheng.geo.components.service import COMPONENT_COLUMNS  # noqa: F401  (the loader's columns)

# GB/T 30428.2 部件: the subclasses the demo places (names from the class table of zhicheng.geo.components)
COMPONENT_KINDS: dict[str, tuple[str, ...]] = {
    "01": ("上水井盖", "污水井盖", "雨水井盖", "电力井盖", "通信井盖", "消防栓", "路灯", "邮筒"),
    "02": ("交通信号灯", "交通标志牌", "交通护栏", "公交站亭", "隔音屏", "过街天桥"),
    "03": ("公共厕所", "垃圾箱", "垃圾转运站", "广告牌匾"),
    "04": ("行道树", "古树名木", "绿地", "街头座椅", "健身设施"),
    "05": ("人防工事", "宣传栏"),
    "06": ("监控电子眼", "工地"),
}
OWNERS = {"01": "长沙市城市管理和综合执法局", "02": "长沙市交通运输局", "03": "长沙市城市管理和综合执法局",
          "04": "长沙市城市管理和综合执法局", "05": "长沙市住房和城乡建设局", "06": "长沙市公安局"}
CONDITIONS = (("完好", 88), ("破损", 7), ("丢失", 2), ("废弃", 3))


def _credit_code(region: str, n: int) -> str:
    """A valid unified social credit code (GB 32100) of a generated government body (机构编制 1, 机关 1)."""
    from zhicheng.core.ids import credit_code

    return credit_code.make("1", "1", region, f"{n:08d}")


def city_components(per_street: int = 8, seed: int = SEED + 10) -> Iterator[dict]:
    """Components on every street unit (街道/乡镇) of the real geography: GB/T 30428.2 16-digit codes (county,
    class, subclass, sequence), owners and maintainers with valid credit codes, a point inside the street unit
    (inside one of its unit grid cells where the street is gridded) and the grid it lies in."""
    import numpy as np

    from zhicheng.demo import geography
    from zhicheng.geo.components.classes import by_name
    from zhicheng.geo.grids.assign import GridIndex

    rnd = random.Random(seed)
    classes = by_name()
    kinds = [classes[name] for names_ in COMPONENT_KINDS.values() for name in names_]
    cells = geography.demo_grid_cells()
    index = GridIndex([c["grid_code"] for c in cells], [c["geometry"] for c in cells])
    by_street: dict[str, list[dict]] = {}
    for c in cells:
        by_street.setdefault(c["street_code"], []).append(c)
    owner_codes = {name: _credit_code("430100", 1000 + n) for n, name in enumerate(sorted(set(OWNERS.values())))}
    serial: dict[str, int] = {}
    condition_pool = [c for c, w in CONDITIONS for _ in range(w)]
    for k, street in enumerate(geography.street_units()):
        office = street_office_name(street)
        office_code = _credit_code(street.district_code, 2000 + k)
        area = by_street[street.code] if street.code in by_street else None
        for _ in range(per_street):
            cls = rnd.choice(kinds)
            prefix = f"{street.district_code}{cls.code}"
            serial[prefix] = serial.get(prefix, 0) + 1
            shape_ = rnd.choice(area)["geometry"] if area else street.geometry
            lon, lat = _point_in(rnd, shape_)
            owner = OWNERS[cls.class_code]
            maintainer = f"{street.name}环卫所" if cls.class_code == "03" else office
            yield {
                "component_code": f"{prefix}{serial[prefix]:06d}", "category": cls.class_name,
                "subcategory": cls.subclass_name, "owner_unit": owner, "owner_code": owner_codes[owner],
                "maintainer": maintainer, "maintainer_code": office_code,
                "condition": rnd.choice(condition_pool), "street_code": street.code,
                "grid_code": index.assign(np.array([lon]), np.array([lat]))[0] or "",
                "location": f"POINT ({lon} {lat})",
            }


def _point_in(rnd: random.Random, geom) -> tuple[float, float]:
    """A random (lon, lat) inside `geom` (rejection sampling in its bounding box), 6 decimals."""
    from shapely import Point

    minx, miny, maxx, maxy = geom.bounds
    for _ in range(2000):
        lon, lat = round(rnd.uniform(minx, maxx), 6), round(rnd.uniform(miny, maxy), 6)
        if geom.contains(Point(lon, lat)):
            return lon, lat
    p = geom.representative_point()
    return round(p.x, 6), round(p.y, 6)


PARKING_COLUMNS = ("lot_id", "lot_name", "address", "district_code", "spaces", "charging_spaces", "fee_standard",
                   "longitude", "latitude")
_LOT_KINDS = ("公共停车场", "立体停车库", "地下停车场", "路外停车场", "P+R 停车场")
_FEES = ("首小时 5 元，之后每小时 3 元，24 小时封顶 30 元", "首小时免费，之后每小时 2 元", "每小时 4 元，夜间（20:00–8:00）每次 5 元",
         "每次 10 元", "首两小时 6 元，之后每小时 2 元，封顶 25 元")


def parking_lots(count: int = 240, seed: int = SEED + 11) -> Iterator[dict]:
    """Public parking lots spread over the districts, with spaces, charging spaces, fees and a point."""
    rnd = random.Random(seed)
    by_district: dict[str, list] = {}
    for s in streets():
        by_district.setdefault(s.parent_code, []).append(s)
    district_names = {d.code: d.name for d in districts()}
    codes = list(names.DISTRICT_WEIGHTS)
    weights = list(names.DISTRICT_WEIGHTS.values())
    for n in range(1, count + 1):
        district = rnd.choices(codes, weights)[0]
        street = rnd.choice(by_district[district])
        stem = rnd.choice(names.ROAD_STEMS)
        spaces = rnd.choice((40, 60, 80, 120, 150, 200, 300, 500, 800))
        lon, lat = point_in_district(rnd, district)
        yield {
            "lot_id": f"CS-P{n:05d}", "lot_name": f"{stem}{rnd.choice(_LOT_KINDS)}",
            "address": f"长沙市{district_names[district]}{street.name}{stem}路{rnd.randint(1, 299)}号",
            "district_code": district, "spaces": spaces, "charging_spaces": int(spaces * rnd.choice((0, 0.05, 0.1, 0.2))),
            "fee_standard": rnd.choice(_FEES), "longitude": f"{lon:.6f}", "latitude": f"{lat:.6f}",
        }


DEBTOR_COLUMNS = ("party_name", "party_code", "case_no", "court", "filed_on", "obligation", "performance",
                  "published_on")
_OBLIGATIONS = ("支付货款{}元及利息", "偿还借款本金{}元及逾期利息", "支付工程款{}元", "支付劳动报酬{}元",
                "支付租金{}元及违约金", "赔偿经济损失{}元")
_PERFORMANCE = (("全部未履行", 70), ("部分履行", 25), ("履行完毕（待移除）", 5))


def _courts() -> list[tuple[str, str]]:
    """(court name, the 4-digit court area code used in case numbers) for Changsha's basic-level courts."""
    out = [("长沙市中级人民法院", "01")]
    for d in districts():
        prefix = "" if d.name.endswith("市") else "长沙市"
        out.append((f"{prefix}{d.name}人民法院", d.code[2:]))
    return out


def dishonest_debtors(debtors: Sequence[Enterprise], count: int = 150, seed: int = SEED + 12) -> Iterator[dict]:
    """失信被执行人 records: generated enterprises named by the basic-level courts of Changsha."""
    rnd = random.Random(seed)
    courts = _courts()
    performance = [p for p, w in _PERFORMANCE for _ in range(w)]
    for n, firm in enumerate(rnd.sample(list(debtors), min(count, len(debtors))), start=1):
        court, area = rnd.choice(courts)
        filed = TODAY - timedelta(days=rnd.randint(60, 4 * 365))
        amount = rnd.randrange(20, 5000) * 1000
        yield {
            "party_name": firm.name, "party_code": firm.credit_code,
            "case_no": f"（{filed.year}）湘{area}执{rnd.randint(100, 9999)}号",
            "court": court, "filed_on": filed.isoformat(), "obligation": rnd.choice(_OBLIGATIONS).format(amount),
            "performance": rnd.choice(performance),
            "published_on": min(TODAY, filed + timedelta(days=rnd.randint(30, 180))).isoformat(),
        }
        if n >= count:
            return
