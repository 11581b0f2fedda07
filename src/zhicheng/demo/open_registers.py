"""Seeded registers behind the demo's open datasets: schools, hospitals, buildings, permits, place names and more.

Place names and codes (村/社区, 街道/乡镇) and the government-service items are real (see data/SOURCES.md);
everything else is generated inside the real districts and says so in its resource's summary.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator, Sequence
from datetime import timedelta
from functools import cache
from importlib import resources

from zhicheng.core.ids import credit_code
from zhicheng.demo import names
from zhicheng.demo.city import districts
from zhicheng.demo.generators import (
    _CODE_CHARS,
    SEED,
    TODAY,
    Enterprise,
    _district_names,
    _road,
    _street_address,
    person_name,
    point_in_district,
)

_DISTRICTS = tuple(names.DISTRICT_WEIGHTS)
_WEIGHTS = tuple(names.DISTRICT_WEIGHTS.values())


@cache
def _bundled(name: str) -> tuple[dict, ...]:
    with resources.files("zhicheng.demo").joinpath("data", name).open(encoding="utf-8", newline="") as fh:
        return tuple(csv.DictReader(fh))


def _district(rnd: random.Random) -> str:
    return rnd.choices(_DISTRICTS, _WEIGHTS)[0]


def _place(rnd: random.Random, district: str):
    """A real street office of the district and a generated door address (no flat) on it."""
    street, text = _street_address(rnd, district)
    return street, text.split("号", 1)[0] + "号"


def _address(rnd: random.Random, district: str) -> str:
    return _place(rnd, district)[1]


def _code(rnd: random.Random, district: str, sector: str, kind: str) -> str:
    """A GB 32100 unified social credit code registered in the district (sector, kind as in GB 32100)."""
    return credit_code.make(sector, kind, district, "".join(rnd.choice(_CODE_CHARS) for _ in range(8)))


def _dated(rnd: random.Random, *, days: int) -> str:
    return (TODAY - timedelta(days=rnd.randint(1, days))).isoformat()


# ------------------------------------------------------------------ statistics and registers

POPULATION_STAT_COLUMNS = ("stat_year", "district_code", "district_name", "household_population", "births", "deaths")
# generated magnitudes (10,000 people) per district, in the order of names.DISTRICT_WEIGHTS' spread
_BASE_POP = {"430102": 43, "430103": 52, "430104": 95, "430105": 62, "430111": 90, "430112": 60, "430121": 85,
             "430181": 130, "430182": 128}


def population_statistics(seed: int = SEED + 20) -> Iterator[dict]:
    """Five years of household population, births and deaths per district (generated magnitudes)."""
    rnd = random.Random(seed)
    for year in range(TODAY.year - 5, TODAY.year):
        for d in districts():
            pop = int(_BASE_POP.get(d.code, 60) * 10_000 * (1 + 0.012 * (year - 2020)) * rnd.uniform(0.98, 1.02))
            yield {"stat_year": year, "district_code": d.code, "district_name": d.name, "household_population": pop,
                   "births": int(pop * rnd.uniform(0.0065, 0.009)), "deaths": int(pop * rnd.uniform(0.0055, 0.007))}


SOCIAL_ORG_COLUMNS = ("credit_code", "org_name", "org_type", "legal_representative", "registered_on", "supervisor",
                      "address")
# GB 32100 kind codes under 民政 (5): 1 社会团体, 2 民办非企业单位 (社会服务机构), 3 基金会
_ORG_KINDS = (("协会", "社会团体", "1"), ("商会", "社会团体", "1"), ("研究会", "社会团体", "1"),
              ("社会工作服务中心", "社会服务机构", "2"), ("养老服务中心", "社会服务机构", "2"), ("公益基金会", "基金会", "3"))
_ORG_FIELDS = ("青年创业", "志愿服务", "书法", "围棋", "摄影", "家政服务", "物业管理", "软件", "餐饮", "湘绣", "花鼓戏",
               "社区", "助残", "关爱儿童", "环保", "食品安全")


def social_organizations(count: int = 160, seed: int = SEED + 21) -> Iterator[dict]:
    """社会组织 registered with the civil affairs bureau: 5 (民政) sector codes, names, representatives."""
    rnd = random.Random(seed)
    seen: set[str] = set()
    while len(seen) < count:
        district = _district(rnd)
        suffix, kind, code_kind = rnd.choice(_ORG_KINDS)
        name = f"长沙市{rnd.choice(_ORG_FIELDS)}{suffix}"
        if rnd.random() < 0.5:
            name = f"长沙市{_district_names()[district]}{name[3:]}"
        if name in seen:
            continue
        seen.add(name)
        yield {"credit_code": _code(rnd, district, "5", code_kind), "org_name": name, "org_type": kind,
               "legal_representative": person_name(rnd, rnd.random() < 0.55),
               "registered_on": _dated(rnd, days=20 * 365), "supervisor": "长沙市民政局",
               "address": _address(rnd, district)}


SCHOOL_COLUMNS = ("school_code", "school_name", "school_type", "ownership", "district_code", "address", "phone",
                  "enrolment")
_SCHOOL_TYPES = (("小学", 600, 2400), ("初级中学", 800, 2600), ("九年一贯制学校", 1200, 3200), ("完全中学", 1500, 3800),
                 ("高级中学", 1500, 4000))


def schools(count: int = 180, seed: int = SEED + 22) -> Iterator[dict]:
    """Primary and secondary schools named after the real streets they stand on; 10-digit 学校标识码."""
    rnd = random.Random(seed)
    used: set[str] = set()
    for _n in range(count):
        district = _district(rnd)
        street, address = _place(rnd, district)
        kind, low, high = rnd.choice(_SCHOOL_TYPES)
        stem = street.name.removesuffix("街道").removesuffix("镇").removesuffix("乡")
        name = f"长沙市{_district_names()[district]}{stem}{kind}"
        while name in used:
            name = f"长沙市{_district_names()[district]}{stem}第{rnd.randint(2, 9)}{kind}"
        used.add(name)
        yield {"school_code": f"21{rnd.randint(0, 99999999):08d}", "school_name": name, "school_type": kind,
               "ownership": "民办" if rnd.random() < 0.15 else "公办", "district_code": district,
               "address": address, "phone": f"0731-{rnd.randint(82000000, 89999999)}",
               "enrolment": rnd.randint(low, high)}


MEDICAL_COLUMNS = ("licence_no", "institution_name", "category", "level", "district_code", "address", "departments")
_MEDICAL_KINDS = (("人民医院", "综合医院", ("二级甲等", "三级乙等", "三级甲等")), ("中医医院", "中医医院", ("二级甲等", "三级甲等")),
                  ("妇幼保健院", "妇幼保健院", ("二级甲等",)), ("社区卫生服务中心", "社区卫生服务中心", ("未定级",)),
                  ("乡镇卫生院", "卫生院", ("一级甲等", "未定级")), ("口腔医院", "专科医院", ("二级", "未定级")))
_SUBJECTS = ("内科", "外科", "妇产科", "儿科", "眼科", "耳鼻咽喉科", "口腔科", "皮肤科", "急诊医学科", "康复医学科", "中医科",
             "预防保健科", "医学检验科", "医学影像科")


def medical_institutions(count: int = 150, seed: int = SEED + 23) -> Iterator[dict]:
    """医疗机构执业登记: hospitals, health centres and clinics with their registered subjects."""
    rnd = random.Random(seed)
    used: set[str] = set()
    for _n in range(count):
        district = _district(rnd)
        street, address = _place(rnd, district)
        suffix, category, levels = rnd.choice(_MEDICAL_KINDS)
        where = street.name if category in ("社区卫生服务中心", "卫生院") else _district_names()[district]
        name = f"长沙市{where}{suffix}" if category != "卫生院" else f"{_district_names()[district]}{street.name}卫生院"
        if name in used:
            continue
        used.add(name)
        yield {"licence_no": f"PDY{rnd.randint(10000000, 99999999)}{district}{rnd.randint(10, 99)}A{rnd.randint(1000, 9999)}",
               "institution_name": name, "category": category, "level": rnd.choice(levels), "district_code": district,
               "address": address, "departments": "；".join(sorted(rnd.sample(_SUBJECTS, rnd.randint(3, 9))))}


ELDERLY_COLUMNS = ("institution_name", "credit_code", "district_code", "address", "beds", "service_type")
_CARE = ("养老院", "敬老院", "颐养中心", "康养中心", "老年公寓")
_CARE_SERVICE = ("全托护理", "医养结合", "日间照料", "失能失智照护", "居家上门服务")


def elderly_care_institutions(count: int = 90, seed: int = SEED + 24) -> Iterator[dict]:
    """养老机构名录: care homes on real streets with beds and service types."""
    rnd = random.Random(seed)
    used: set[str] = set()
    while len(used) < count:
        district = _district(rnd)
        street, address = _place(rnd, district)
        name = f"长沙市{street.name}{rnd.choice(names.TRADE_NAMES)}{rnd.choice(_CARE)}"
        if name in used:
            continue
        used.add(name)
        yield {"institution_name": name, "credit_code": _code(rnd, district, "5", "2"), "district_code": district,
               "address": address, "beds": rnd.choice((30, 50, 80, 120, 200, 300, 500)),
               "service_type": rnd.choice(_CARE_SERVICE)}


# ------------------------------------------------------------------ buildings and land

BUILDING_COLUMNS = ("building_id", "building_name", "address", "district_code", "floors_above", "floors_below",
                    "structure", "usage", "completed_year", "footprint")
_USAGE = (("住宅", 60), ("商业", 12), ("办公", 10), ("工业", 8), ("教育", 5), ("医疗", 2), ("公共设施", 3))
_STRUCTURE = ("钢筋混凝土结构", "框架结构", "框架-剪力墙结构", "砖混结构", "钢结构")


def _box(lon: float, lat: float, half_x: float, half_y: float) -> str:
    """A WKT rectangle around a point (a building's footprint, a parcel)."""
    x0, x1, y0, y1 = round(lon - half_x, 6), round(lon + half_x, 6), round(lat - half_y, 6), round(lat + half_y, 6)
    return f"POLYGON (({x0} {y0}, {x1} {y0}, {x1} {y1}, {x0} {y1}, {x0} {y0}))"


def buildings(count: int = 600, seed: int = SEED + 25) -> Iterator[dict]:
    """Buildings with rectangular footprints (about 20–60 m a side) sampled inside the real districts."""
    rnd = random.Random(seed)
    usages = [u for u, w in _USAGE for _ in range(w)]
    for n in range(1, count + 1):
        district = _district(rnd)
        lon, lat = point_in_district(rnd, district)
        usage = rnd.choice(usages)
        floors = rnd.choice((2, 3, 6, 7, 11, 18, 26, 33)) if usage == "住宅" else rnd.choice((1, 2, 4, 6, 12, 24))
        address = _address(rnd, district)
        yield {"building_id": f"{district}{n:08d}JZ", "building_name": f"{address.split('号')[0][-6:]}号{usage}楼",
               "address": address, "district_code": district, "floors_above": floors,
               "floors_below": 0 if floors < 6 else rnd.choice((1, 1, 2)), "structure": rnd.choice(_STRUCTURE),
               "usage": usage, "completed_year": rnd.randint(1985, TODAY.year - 1),
               "footprint": _box(lon, lat, rnd.uniform(0.0001, 0.0003), rnd.uniform(0.0001, 0.0003))}


LAND_USE_COLUMNS = ("parcel_id", "land_class_code", "land_class", "area_m2", "district_code", "ownership", "geometry")
# 第三次全国国土调查 工作分类 codes and names
_LAND_CLASSES = (("0101", "水田", 14), ("0103", "旱地", 6), ("0201", "果园", 2), ("0301", "乔木林地", 18),
                 ("0702", "农村宅基地", 8), ("0701", "城镇住宅用地", 10), ("05H1", "商业服务业设施用地", 4),
                 ("0601", "工业用地", 5), ("1003", "公路用地", 3), ("1101", "河流水面", 3), ("1104", "坑塘水面", 4),
                 ("0810", "公园与绿地", 2))


def land_use(count: int = 500, seed: int = SEED + 26) -> Iterator[dict]:
    """国土调查地类图斑 (rectangles) with 三调 class codes; ownership by the class's usual owner."""
    rnd = random.Random(seed)
    classes = [(c, n) for c, n, w in _LAND_CLASSES for _ in range(w)]
    for n in range(1, count + 1):
        district = _district(rnd)
        code, name = rnd.choice(classes)
        lon, lat = point_in_district(rnd, district)
        half_x, half_y = rnd.uniform(0.0005, 0.003), rnd.uniform(0.0005, 0.003)
        area = (2 * half_x * 101_000) * (2 * half_y * 111_000)  # degrees to metres at 28°N
        owner = "国有" if code[:2] in ("05", "06", "07", "08", "10", "11") and code != "0702" else "集体"
        yield {"parcel_id": f"{district}{n:06d}", "land_class_code": code, "land_class": name,
               "area_m2": f"{area:.2f}", "district_code": district, "ownership": owner,
               "geometry": _box(lon, lat, half_x, half_y)}


# ------------------------------------------------------------------ enforcement and permits

PENALTY_COLUMNS = ("decision_no", "party_name", "party_credit_code", "violation", "basis", "penalty_type", "fine_amount",
                   "decided_on", "authority")
_VIOLATIONS = (("销售不符合食品安全标准的食品", "《中华人民共和国食品安全法》第一百二十四条"),
               ("未按规定明码标价", "《中华人民共和国价格法》第四十二条"),
               ("发布虚假广告", "《中华人民共和国广告法》第五十五条"),
               ("未依法公示年度报告", "《企业信息公示暂行条例》第十八条"),
               ("使用未经检验的特种设备", "《中华人民共和国特种设备安全法》第八十四条"),
               ("销售侵犯注册商标专用权的商品", "《中华人民共和国商标法》第六十条"))


def admin_penalties(parties: Sequence[Enterprise], count: int = 300, seed: int = SEED + 27) -> Iterator[dict]:
    """“双公示” 行政处罚 decisions of the market regulator against generated enterprises."""
    rnd = random.Random(seed)
    for n in range(1, count + 1):
        party = rnd.choice(parties)
        violation, basis = rnd.choice(_VIOLATIONS)
        decided = TODAY - timedelta(days=rnd.randint(1, 3 * 365))
        kind = rnd.choice(("罚款", "警告、罚款", "没收违法所得、罚款"))
        yield {"decision_no": f"长市监处罚〔{decided.year}〕{n:04d}号", "party_name": party.name,
               "party_credit_code": party.credit_code, "violation": violation, "basis": basis, "penalty_type": kind,
               "fine_amount": f"{rnd.randrange(2, 500) * 1000:.2f}", "decided_on": decided.isoformat(),
               "authority": "长沙市市场监督管理局"}


KEY_POLLUTER_COLUMNS = ("credit_code", "entity_name", "category", "pollutants", "district_code", "address")
_POLLUTER_KINDS = (("水环境重点排污单位", "化学需氧量、氨氮"), ("大气环境重点排污单位", "二氧化硫、氮氧化物、颗粒物"),
                   ("土壤污染重点监管单位", "重金属"), ("环境风险重点管控单位", "挥发性有机物"))


def key_polluters(firms: Sequence[Enterprise], count: int = 80, seed: int = SEED + 28) -> Iterator[dict]:
    """重点排污单位名录 drawn from the generated market entities."""
    rnd = random.Random(seed)
    for firm in rnd.sample(list(firms), min(count, len(firms))):
        category, pollutants = rnd.choice(_POLLUTER_KINDS)
        district = firm.credit_code[2:8]
        district = district if district in _district_names() else _district(rnd)
        yield {"credit_code": firm.credit_code, "entity_name": firm.name, "category": category,
               "pollutants": pollutants, "district_code": district, "address": _address(rnd, district)}


RIDE_HAILING_COLUMNS = ("credit_code", "company", "permit_no", "valid_to")


def ride_hailing_permits(firms: Sequence[Enterprise], count: int = 24, seed: int = SEED + 29) -> Iterator[dict]:
    """网约车平台经营许可 held by generated companies."""
    rnd = random.Random(seed)
    for n, firm in enumerate(rnd.sample(list(firms), min(count, len(firms))), start=1):
        yield {"credit_code": firm.credit_code, "company": firm.name, "permit_no": f"湘网约（长）字第{n:05d}号",
               "valid_to": (TODAY + timedelta(days=rnd.randint(60, 4 * 365))).isoformat()}


CONSTRUCTION_COLUMNS = ("permit_no", "project_name", "builder", "builder_credit_code", "contract_price", "issued_on")
_PROJECTS = ("安置房", "商住楼", "产业园厂房", "学校教学楼", "医院门诊综合楼", "写字楼", "社区服务中心", "停车楼")


def construction_permits(firms: Sequence[Enterprise], count: int = 200, seed: int = SEED + 30) -> Iterator[dict]:
    """建筑工程施工许可: projects on generated roads, builders from the generated enterprises."""
    rnd = random.Random(seed)
    for n in range(1, count + 1):
        firm = rnd.choice(firms)
        district = _district(rnd)
        issued = TODAY - timedelta(days=rnd.randint(1, 3 * 365))
        yield {"permit_no": f"{district}{issued:%Y%m%d}{n:04d}01",
               "project_name": f"{_district_names()[district]}{_road(rnd)}{rnd.choice(_PROJECTS)}项目（{rnd.randint(1, 3)}期）",
               "builder": firm.name, "builder_credit_code": firm.credit_code,
               "contract_price": f"{rnd.randrange(200, 80000) * 10:.2f}", "issued_on": issued.isoformat()}


# ------------------------------------------------------------------ real registers

PLACE_NAME_COLUMNS = ("place_code", "standard_name", "category", "district_code", "origin", "approved_on")


def place_names() -> Iterator[dict]:
    """The real village and community committees of Changsha (NBS 2023 codes and names, WTFPL)."""
    for row in _bundled("changsha_villages.csv"):
        name = row["name"]
        category = "社区" if "社区" in name else "村" if name.endswith("村委会") or "村" in name else "居民区"
        yield {"place_code": row["code"], "standard_name": name.removesuffix("居委会").removesuffix("委会"),
               "category": category, "district_code": row["district_code"], "origin": "", "approved_on": ""}


GOV_SERVICE_COLUMNS = ("item_code", "item_name", "item_type", "department")
# the national 事项类型 codes of the catalogue
_ITEM_TYPES = {"1": "行政许可", "5": "行政给付", "7": "行政确认", "8": "行政奖励", "9": "行政裁决", "10": "其他行政权力",
               "20": "公共服务"}


def gov_service_items() -> Iterator[dict]:
    """The real 政务服务事项清单 of 广安区 (Apache-2.0): codes, names, types, departments, as published."""
    for row in _bundled("gov_service_items.csv"):
        yield {"item_code": row["item_code"], "item_name": row["item_name"],
               "item_type": _ITEM_TYPES.get(row["task_type"], "其他"), "department": row["department"]}
