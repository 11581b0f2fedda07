"""Generated population sources for the demo and the benchmark (演示数据，系统生成，非真实个人信息).

Two departments hold the same people: 户籍人口 (the police: authoritative for name, sex, birth date, address)
and 卫生健康服务对象 (health: authoritative for the phone number). A share of the second source's rows
disagree on the address (conflicts), and a share of each source's rows lack a usable key (blank, or a wrong
check digit) and sometimes spell the name differently (full-width, spaces, traditional characters, a typo).
The generator returns the truth: which person each row of each source is.
"""

from __future__ import annotations

import csv
import random
from array import array
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from zhicheng.core.ids.citizen_id import check_char

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国红梅玉兰志强海燕晓东子涵浩然雨欣"
    "思远宇轩梓萱一诺欣怡博文天佑嘉怡俊杰家豪诗涵晨阳佳琪文轩若曦"
)
TRADITIONAL = {
    "张": "張",
    "陈": "陳",
    "刘": "劉",
    "杨": "楊",
    "黄": "黃",
    "赵": "趙",
    "吴": "吳",
    "郑": "鄭",
    "冯": "馮",
    "许": "許",
    "韩": "韓",
    "叶": "葉",
    "伟": "偉",
    "丽": "麗",
    "军": "軍",
    "红": "紅",
    "国": "國",
    "华": "華",
    "东": "東",
    "龙": "龍",
}
DISTRICTS = (
    ("430102", "芙蓉区"),
    ("430103", "天心区"),
    ("430104", "岳麓区"),
    ("430105", "开福区"),
    ("430111", "雨花区"),
    ("430112", "望城区"),
    ("430121", "长沙县"),
)
STREETS = (
    "五一大道",
    "芙蓉中路",
    "湘江中路",
    "麓山南路",
    "韶山北路",
    "人民东路",
    "劳动西路",
    "雷锋大道",
    "星沙大道",
)
ETHNICITIES = ("汉族",) * 18 + ("土家族", "苗族")
EPOCH = date(1940, 1, 1)
DEMO_NAME = "人口基础库（演示）"
DAYS = 23_000  # birth dates from 1940 to about 2003

SOURCE_A_ITEMS = [
    {
        "name": "sfzh",
        "label": "公民身份号码",
        "type": "string",
        "length": 18,
        "personal": True,
        "sensitivity": "important",
        "check": "citizen_id",
    },
    {"name": "xm", "label": "姓名", "type": "string", "length": 50, "personal": True},
    {"name": "xb", "label": "性别", "type": "string", "length": 4},
    {"name": "csrq", "label": "出生日期", "type": "date", "personal": True},
    {"name": "mz", "label": "民族", "type": "string", "length": 20},
    {"name": "hjqh", "label": "户籍地行政区划", "type": "string", "length": 6, "check": "region_code"},
    {"name": "zz", "label": "住址", "type": "string", "length": 200, "personal": True},
]
SOURCE_B_ITEMS = [
    {"name": "gmsfhm", "label": "证件号码", "type": "string", "length": 18, "personal": True},
    {"name": "xm", "label": "姓名", "type": "string", "length": 50, "personal": True},
    {"name": "csrq", "label": "出生日期", "type": "date", "personal": True},
    {"name": "lxdh", "label": "联系电话", "type": "string", "length": 20, "personal": True},
    {"name": "jzdz", "label": "居住地址", "type": "string", "length": 200, "personal": True},
]
POPULATION_FIELDS = [
    {
        "field": "citizen_id",
        "source": {"resource_id": "A", "item": "sfzh"},
        "fallbacks": [{"resource_id": "B", "item": "gmsfhm"}],
    },
    {
        "field": "name",
        "source": {"resource_id": "A", "item": "xm"},
        "fallbacks": [{"resource_id": "B", "item": "xm"}],
    },
    {"field": "sex", "source": {"resource_id": "A", "item": "xb"}},
    {
        "field": "birth_date",
        "source": {"resource_id": "A", "item": "csrq"},
        "fallbacks": [{"resource_id": "B", "item": "csrq"}],
    },
    {"field": "ethnicity", "source": {"resource_id": "A", "item": "mz"}},
    {"field": "region_code", "source": {"resource_id": "A", "item": "hjqh"}},
    {
        "field": "address",
        "source": {"resource_id": "A", "item": "zz"},
        "fallbacks": [{"resource_id": "B", "item": "jzdz"}],
    },
    {"field": "mobile", "source": {"resource_id": "B", "item": "lxdh"}},
]


def population_fields(a: int, b: int) -> list[dict[str, Any]]:
    """The population definition over source resources `a` (police) and `b` (health)."""
    ids = {"A": a, "B": b}

    def swap(src: dict) -> dict:
        return {**src, "resource_id": ids[src["resource_id"]]}

    return [
        {**e, "source": swap(e["source"]), "fallbacks": [swap(f) for f in e.get("fallbacks", [])]}
        for e in POPULATION_FIELDS
    ]


def _h(e: int, salt: int) -> int:
    """A cheap deterministic hash of (person, attribute): the same person looks the same in both sources."""
    x = (e * 0x9E3779B1 + salt * 0x85EBCA77 + 0x165667B1) & 0xFFFFFFFF
    x ^= x >> 15
    x = (x * 0x2C1B3C6D) & 0xFFFFFFFF
    return x ^ (x >> 12)


def _person(e: int, seed: int) -> dict[str, Any]:
    region, district = DISTRICTS[e % len(DISTRICTS)]
    birth = EPOCH + timedelta(days=(e // len(DISTRICTS)) % DAYS)
    order = (e // (len(DISTRICTS) * DAYS)) % 1000
    first17 = f"{region}{birth:%Y%m%d}{order:03d}"
    h = [_h(e, seed * 16 + i) for i in range(10)]
    name = (
        SURNAMES[h[0] % len(SURNAMES)]
        + GIVEN[h[1] % len(GIVEN)]
        + (GIVEN[h[2] % len(GIVEN)] if h[2] % 3 else "")
    )
    address = (
        f"长沙市{district}{STREETS[h[3] % len(STREETS)]}{h[4] % 999 + 1}号{h[5] % 30 + 1}栋"
        f"{h[6] % 2899 + 101}室"
    )
    return {
        "id": first17 + check_char(first17),
        "name": name,
        "sex": "男" if order % 2 else "女",
        "birth": birth.isoformat(),
        "ethnicity": ETHNICITIES[h[7] % len(ETHNICITIES)],
        "region": region,
        "address": address,
        "mobile": f"1{'3589'[h[8] % 4]}{h[9] % 1_000_000_000:09d}",
    }


def _respell(name: str, rnd: random.Random) -> str:
    """The same name written differently: full-width spaces, traditional characters, or (rarely) a typo."""
    roll = rnd.random()
    if roll < 0.3:
        return name[0] + "\u3000" + name[1:]
    if roll < 0.6:
        return "".join(TRADITIONAL.get(c, c) for c in name)
    if roll < 0.9:
        return " " + name + " "
    return name[:-1] + rnd.choice(GIVEN)


def generate(
    path_a: Path,
    path_b: Path,
    rows: int,
    *,
    seed: int = 7,
    conflict_rate: float = 0.05,
    keyless_rate: float = 0.02,
) -> dict[str, Any]:
    """Write the two sources as CSV files; return the truth (person of each row) and what was seeded."""
    rnd = random.Random(seed)
    order_b = list(range(rows))
    rnd.shuffle(order_b)
    truth_a, truth_b = array("i", range(rows)), array("i", order_b)
    seeded = {"conflicts": 0, "keyless_a": 0, "keyless_b": 0}
    with path_a.open("w", encoding="utf-8", newline="") as fa:
        wa = csv.writer(fa)
        wa.writerow([i["name"] for i in SOURCE_A_ITEMS])
        for e in range(rows):
            p = _person(e, seed)
            key, name = p["id"], p["name"]
            if rnd.random() < keyless_rate:  # the police hold checked IDs: a missing one is blank
                key, name = "", _respell(name, rnd)
                seeded["keyless_a"] += 1
            wa.writerow([key, name, p["sex"], p["birth"], p["ethnicity"], p["region"], p["address"]])
    with path_b.open("w", encoding="utf-8", newline="") as fb:
        wb = csv.writer(fb)
        wb.writerow([i["name"] for i in SOURCE_B_ITEMS])
        for e in order_b:
            p = _person(e, seed)
            key, name, address = p["id"], p["name"], p["address"]
            if rnd.random() < conflict_rate:
                address = address.replace("号", f"{rnd.randint(1, 9)}号", 1)
                seeded["conflicts"] += 1
            if rnd.random() < keyless_rate:
                key = "" if rnd.random() < 0.5 else key[:17] + ("0" if key[17] != "0" else "1")
                name = _respell(name, rnd)
                seeded["keyless_b"] += 1
            wb.writerow([key, name, p["birth"], p["mobile"], address])
    return {"truth_a": truth_a, "truth_b": truth_b, **seeded}



def source_resource(name: str, items: list[dict[str, Any]], department_id: int) -> dict[str, Any]:
    """The catalog resource of one generated source (labelled as generated)."""
    return {
        "name": name,
        "catalog_class": "base",
        "subclass": "population",
        "summary": "演示数据，系统生成，非真实个人信息。",
        "format": "database",
        "file_formats": ["csv"],
        "share_type": "conditional",
        "share_condition": "用于人口基础库汇聚",
        "share_method": "api",
        "open_type": "none",
        "update_cycle": "daily",
        "tags": ["演示"],
        "items": items,
        "department_id": department_id,
    }
