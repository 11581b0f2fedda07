"""The demo city's defective sample of floating-population registrations (generated, with known defects) and its
catalog resource; `quality.flows.seed_demo` imports it twice (the second partly fixed) so that the dashboard shows
real findings, a trend and both open and closed correction tasks."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from zhicheng.core.ids.citizen_id import make

SAMPLE_NAME = "流动人口登记抽查样本（数据质量示例）"
SAMPLE_ITEMS = [  # registered without identifier checks, as many legacy systems were: the import lets defects in
    {
        "name": "sfzh",
        "label": "公民身份号码",
        "type": "string",
        "length": 18,
        "personal": True,
        "sensitivity": "important",
    },
    {"name": "xm", "label": "姓名", "type": "string", "length": 50, "personal": True},
    {"name": "xb", "label": "性别", "type": "string", "length": 1, "description": "GB/T 2261.1：1 男，2 女"},
    {"name": "csrq", "label": "出生日期", "type": "date", "personal": True},
    {"name": "hjdqdm", "label": "户籍地行政区划代码", "type": "string", "length": 6},
    {"name": "djrq", "label": "登记日期", "type": "date"},
]
REGIONS = ["430102", "430103", "430104", "430105", "430111", "430112", "430121", "430181", "430182"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"


def sample_rows(count: int = 300, *, fixed: bool = False, seed: int = 2026) -> list[dict[str, Any]]:
    """Generated registrations (演示数据，系统生成); unless `fixed`, every 37th has a wrong check digit, every
    53rd a retired region code (430124 宁乡县, retired 2017-04-09), every 61st a birth date that differs from its
    ID number, every 71st repeats the ID of the row before; with `fixed`, only the check digits are corrected."""
    rnd = random.Random(seed)
    rows = []
    for n in range(1, count + 1):
        male = rnd.random() < 0.5
        born = date(1950, 1, 1) + timedelta(days=rnd.randrange(0, 365 * 55))
        region = rnd.choice(REGIONS)
        row = {
            "sfzh": make(region, born, rnd.randrange(0, 500), "M" if male else "F"),
            "xm": rnd.choice(SURNAMES) + rnd.choice(GIVEN) + rnd.choice(GIVEN),
            "xb": "1" if male else "2",
            "csrq": born.isoformat(),
            "hjdqdm": region,
            "djrq": (date(2024, 1, 1) + timedelta(days=rnd.randrange(0, 600))).isoformat(),
        }
        if n % 37 == 0 and not fixed:
            last = row["sfzh"][17]
            row["sfzh"] = row["sfzh"][:17] + ("0" if last != "0" else "1")
        if n % 53 == 0:
            row["hjdqdm"] = "430124"
        if n % 61 == 0:
            row["csrq"] = (born + timedelta(days=31)).isoformat()
        if n % 71 == 0:
            row["sfzh"] = rows[-1]["sfzh"]
        rows.append(row)
    return rows



def sample_resource(department_id: int) -> dict[str, Any]:
    """The catalog resource of the defective sample (labelled as generated)."""
    return {
        "name": SAMPLE_NAME,
        "catalog_class": "base",
        "subclass": "population",
        "department_id": department_id,
        "summary": "从流动人口登记信息中抽取的样本，用于演示数据质量规则、检测报告与整改任务（演示数据，系统生成）。",
        "format": "database",
        "file_formats": ["csv"],
        "share_type": "conditional",
        "share_condition": "仅用于数据质量核查",
        "share_method": "api",
        "open_type": "none",
        "update_cycle": "monthly",
        "tags": ["人口", "数据质量"],
        "items": SAMPLE_ITEMS,
    }
