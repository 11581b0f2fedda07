"""Seeded generators of the demo city's urban objects: city components (城市部件), parking lots, credit records."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from datetime import timedelta

from zhicheng.demo import names
from zhicheng.demo.city import districts, street_office_name, streets
from zhicheng.demo.generators import SEED, TODAY, Enterprise, point_in_district

# GB/T 30428.2 部件 main classes and some of their kinds; the 2-digit kind numbers here are the demo's own
COMPONENT_KINDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("01", "公用设施"): ("上水井盖", "污水井盖", "雨水井盖", "电力井盖", "通信井盖", "消防栓", "路灯", "邮筒"),
    ("02", "道路交通"): ("交通信号灯", "交通标志牌", "道路护栏", "公交站亭", "隔音屏", "过街天桥"),
    ("03", "市容环境"): ("公共厕所", "垃圾箱", "垃圾转运站", "户外广告牌", "环卫工人休息点"),
    ("04", "园林绿化"): ("行道树", "古树名木", "绿地", "花坛", "街头座椅"),
    ("05", "房屋土地"): ("人防工事", "地下通道"),
    ("06", "其他设施"): ("监控电子眼", "健身设施", "报刊亭"),
}
OWNERS = {"01": "市城市管理和综合执法局", "02": "市交通运输局", "03": "市城市管理和综合执法局", "04": "市城市管理和综合执法局",
          "05": "市住房和城乡建设局", "06": "街道办事处"}
CONDITIONS = (("完好", 88), ("破损", 7), ("丢失", 2), ("占用", 3))

COMPONENT_COLUMNS = ("component_code", "category", "subcategory", "owner_unit", "maintainer", "condition",
                     "street_code", "location")


def city_components(per_street: int = 8, seed: int = SEED + 10) -> Iterator[dict]:
    """Components on every street office: 16-digit codes (county code, class, kind, serial) and a point."""
    rnd = random.Random(seed)
    kinds = [(cls, cname, k, kname) for (cls, cname), ks in COMPONENT_KINDS.items()
             for k, kname in enumerate(ks, start=1)]
    serial: dict[str, int] = {}
    condition_pool = [c for c, w in CONDITIONS for _ in range(w)]
    for street in streets():
        for _ in range(per_street):
            cls, cname, k, kname = rnd.choice(kinds)
            prefix = f"{street.parent_code}{cls}{k:02d}"
            serial[prefix] = serial.get(prefix, 0) + 1
            lon, lat = point_in_district(rnd, street.parent_code)
            yield {
                "component_code": f"{prefix}{serial[prefix]:06d}", "category": cname, "subcategory": kname,
                "owner_unit": OWNERS[cls], "maintainer": f"{street.name}环卫所" if cls == "03" else street_office_name(street),
                "condition": rnd.choice(condition_pool), "street_code": street.code, "location": f"POINT ({lon} {lat})",
            }


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
