"""Seeded feeds and cases behind the demo's open datasets: rain, river levels, water quality, 12345 and 城管 cases.

The hourly rain is real (UCI "PM2.5 Data of Five Chinese Cities", CC BY 4.0, five cities' own gauges, not
Changsha's) and so are the 12345 categories (a real three-level hotline taxonomy); the rest is generated.
"""

from __future__ import annotations

import csv
import gzip
import math
import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from importlib import resources

from zhicheng.demo import names
from zhicheng.demo.city import BUREAUS, streets
from zhicheng.demo.generators import SEED, TODAY, _district_names, _road, mobile
from zhicheng.demo.open_registers import _bundled

_START = datetime(TODAY.year, TODAY.month, TODAY.day) - timedelta(days=7)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:00+08:00")


RAIN_COLUMNS = ("station_code", "station_name", "observed_at", "rain_mm")
# the five cities' gauges keep their own names: the readings are theirs, not Changsha's
_RAIN_STATIONS = {"Beijing": ("UCI00001", "北京（UCI 五城市数据）"), "Shanghai": ("UCI00002", "上海（UCI 五城市数据）"),
                  "Guangzhou": ("UCI00003", "广州（UCI 五城市数据）"), "Chengdu": ("UCI00004", "成都（UCI 五城市数据）"),
                  "Shenyang": ("UCI00005", "沈阳（UCI 五城市数据）")}


def rain_gauges() -> Iterator[dict]:
    """Two weeks (2015-06-01 … 14) of real hourly precipitation at the five cities' sites; NA stays empty."""
    src = resources.files("zhicheng.demo").joinpath("data", "five_cities_rain_2015-06-01_14.csv.gz")
    with src.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8", newline="") as fh:
        for rec in csv.DictReader(fh):
            code, name = _RAIN_STATIONS[rec["city"]]
            value = rec["precipitation"]
            yield {"station_code": code, "station_name": name,
                   "observed_at": f"2015-06-{int(rec['day']):02d}T{int(rec['hour']):02d}:00:00+08:00",
                   "rain_mm": "" if value in ("", "NA") else f"{float(value):.1f}"}


RIVER_LEVEL_COLUMNS = ("station_code", "station_name", "river", "observed_at", "water_level_m", "warning_level_m")
# generated gauges on the real rivers of Changsha; base and warning levels are the demo's own
_RIVER_GAUGES = (("61100101", "湘江橘子洲站", "湘江", 29.8, 36.0), ("61100102", "湘江霞凝站", "湘江", 29.3, 35.5),
                 ("61100201", "浏阳河榔梨站", "浏阳河", 31.2, 37.5), ("61100202", "浏阳河三角洲站", "浏阳河", 29.9, 35.8),
                 ("61100301", "捞刀河螺丝塘站", "捞刀河", 30.6, 36.3), ("61100401", "靳江河靳江站", "靳江河", 31.0, 36.8))


def river_levels(days: int = 7, seed: int = SEED + 40) -> Iterator[dict]:
    """Hourly levels of six generated gauges: a daily swing, a slow rise and a flood pulse mid-week."""
    rnd = random.Random(seed)
    for code, name, river, base, warning in _RIVER_GAUGES:
        for hour in range(days * 24):
            pulse = 2.2 * math.exp(-((hour - 80) / 18) ** 2)
            level = base + 0.15 * math.sin(hour / 24 * 2 * math.pi) + hour * 0.004 + pulse + rnd.uniform(-0.03, 0.03)
            yield {"station_code": code, "station_name": name, "river": river,
                   "observed_at": _stamp(_START + timedelta(hours=hour)), "water_level_m": f"{level:.2f}",
                   "warning_level_m": f"{warning:.2f}"}


WATER_QUALITY_COLUMNS = ("section_name", "river", "monitored_on", "ph", "dissolved_oxygen", "cod_mn", "ammonia_n",
                         "total_phosphorus", "grade")
_SECTIONS = (("湘江昭山", "湘江"), ("湘江橘子洲", "湘江"), ("湘江三汊矶", "湘江"), ("湘江乔口", "湘江"),
             ("浏阳河三角洲", "浏阳河"), ("捞刀河入湘江口", "捞刀河"), ("靳江河入湘江口", "靳江河"), ("沩水入湘江口", "沩水"))
# GB 3838-2002 limits (I … V) for 氨氮 and 总磷 (rivers)
_NH3 = (0.15, 0.5, 1.0, 1.5, 2.0)
_TP = (0.02, 0.1, 0.2, 0.3, 0.4)
_GRADES = ("Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ")


def _grade(value: float, limits: tuple[float, ...]) -> int:
    return next((n for n, limit in enumerate(limits) if value <= limit), len(limits))


def surface_water_quality(months: int = 12, seed: int = SEED + 41) -> Iterator[dict]:
    """Monthly results of eight generated sections; the class is the worse of 氨氮 and 总磷 (GB 3838)."""
    rnd = random.Random(seed)
    for section, river in _SECTIONS:
        tributary = river != "湘江"
        for back in range(months, 0, -1):
            year, month = divmod(TODAY.year * 12 + TODAY.month - 1 - back, 12)
            nh3 = rnd.uniform(0.05, 0.9 if tributary else 0.45)
            tp = rnd.uniform(0.03, 0.22 if tributary else 0.11)
            worst = max(_grade(nh3, _NH3), _grade(tp, _TP))
            yield {"section_name": section, "river": river, "monitored_on": f"{year:04d}-{month + 1:02d}-10",
                   "ph": f"{rnd.uniform(6.9, 8.1):.2f}", "dissolved_oxygen": f"{rnd.uniform(5.5, 9.5):.2f}",
                   "cod_mn": f"{rnd.uniform(1.2, 4.8):.2f}", "ammonia_n": f"{nh3:.3f}", "total_phosphorus": f"{tp:.3f}",
                   "grade": _GRADES[min(worst, 4)] if worst < 5 else "劣Ⅴ"}


STREET_VENDING_COLUMNS = ("event_no", "category", "source", "reported_at", "address", "street_code", "status",
                          "closed_at")
_VENDING = ("占道经营", "流动摊贩", "店外经营", "夜市占道", "乱堆物料")
_SOURCES = (("网格员上报", 55), ("12345 热线", 20), ("市民随手拍", 15), ("视频智能识别", 10))


def street_vending_events(count: int = 800, seed: int = SEED + 42) -> Iterator[dict]:
    """数字城管 cases on the real street offices: most closed within two days, the newest still open."""
    rnd = random.Random(seed)
    sources = [s for s, w in _SOURCES for _ in range(w)]
    all_streets = [s for s in streets() if s.parent_code in _district_names()]
    end = datetime(TODAY.year, TODAY.month, TODAY.day)
    for n in range(1, count + 1):
        street = rnd.choice(all_streets)
        reported = end - timedelta(minutes=rnd.randint(30, 90 * 24 * 60))
        open_case = (end - reported) < timedelta(days=2) and rnd.random() < 0.6
        closed = None if open_case else reported + timedelta(minutes=rnd.randint(40, 2 * 24 * 60))
        yield {"event_no": f"CG{reported:%Y%m%d}{n:05d}", "category": rnd.choice(_VENDING),
               "source": rnd.choice(sources), "reported_at": _stamp(reported),
               "address": f"长沙市{_district_names()[street.parent_code]}{street.name}{_road(rnd)}{rnd.randint(1, 399)}号附近",
               "street_code": street.code, "status": "处置中" if open_case else "已结案",
               "closed_at": _stamp(closed) if closed else ""}


HOTLINE_COLUMNS = ("ticket_no", "received_at", "category", "content", "caller_mobile", "handling_unit", "status")
# which bureau takes a first-level class of the taxonomy; the rest go to the district governments
_HANDLERS = {"城乡建设": "housing", "环境保护": "eco", "交通运输": "transport", "教育文体": "edu",
             "劳动和社会保障": "hrss", "卫生计生": "health", "民政": "civil", "国土资源": "nature", "经济管理": "market",
             "商贸旅游": "market", "政法": "police"}
_ASKS = ("反映{place}{topic}问题，希望尽快处理。", "咨询{topic}的办理流程和所需材料。", "投诉{place}长期存在{topic}问题，多次反映未解决。",
         "建议加强{place}的{topic}管理。")


def hotline_12345(count: int = 1000, seed: int = SEED + 43) -> Iterator[dict]:
    """12345 tickets classified by the real taxonomy (level 2 as the category, level 3 as the topic)."""
    rnd = random.Random(seed)
    taxonomy = _bundled("hotline_taxonomy_3level.csv")
    bureaus = {b.key: b.short_name for b in BUREAUS}
    end = datetime(TODAY.year, TODAY.month, TODAY.day)
    for n in range(1, count + 1):
        cls = rnd.choice(taxonomy)
        district = rnd.choice(tuple(names.DISTRICT_WEIGHTS))
        received = end - timedelta(minutes=rnd.randint(10, 60 * 24 * 60))
        place = f"{_district_names()[district]}{_road(rnd)}"
        unit = bureaus.get(_HANDLERS.get(cls["level1"], ""), f"{_district_names()[district]}人民政府")
        recent = (end - received) < timedelta(days=5)
        yield {"ticket_no": f"12345{received:%Y%m%d}{n:05d}", "received_at": _stamp(received),
               "category": cls["level2"][:30],
               "content": rnd.choice(_ASKS).format(place=place, topic=cls["level3"]),
               "caller_mobile": mobile(rnd), "handling_unit": unit,
               "status": rnd.choice(("办理中", "已转办")) if recent else rnd.choice(("已办结", "已办结", "已回访"))}


BUS_ROUTE_COLUMNS = ("route_no", "route_name", "operator", "start_stop", "end_stop", "first_bus", "last_bus",
                     "fare_yuan", "length_km")
_OPERATORS = ("长沙市公共交通集团有限责任公司", "长沙巴士快线有限公司", "长沙龙骧巴士有限责任公司")
_STOP_KINDS = ("公交站", "公交总站", "地铁站", "枢纽站", "路口", "小区")


def bus_routes(count: int = 160, seed: int = SEED + 44) -> Iterator[dict]:
    """Bus routes between stops named after the real streets they serve."""
    rnd = random.Random(seed)
    stops = [s.name for s in streets() if s.parent_code in _district_names()]
    for n in range(1, count + 1):
        a, b = rnd.sample(stops, 2)
        start = f"{a}{rnd.choice(_STOP_KINDS)}"
        end = f"{b}{rnd.choice(_STOP_KINDS)}"
        no = f"{n}路" if n <= 140 else f"旅{n - 140}路"
        yield {"route_no": no, "route_name": f"{no}（{start}—{end}）"[:50], "operator": rnd.choice(_OPERATORS),
               "start_stop": start[:50], "end_stop": end[:50], "first_bus": f"0{rnd.randint(5, 7)}:{rnd.choice(('00', '30'))}",
               "last_bus": f"2{rnd.randint(0, 2)}:{rnd.choice(('00', '30'))}", "fare_yuan": rnd.choice(("1.00", "2.00")),
               "length_km": f"{rnd.uniform(6, 38):.1f}"}
