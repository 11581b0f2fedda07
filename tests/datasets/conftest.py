"""Fixtures of the datasets tests: a population resource of 公安局, its officers, and files to import."""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

import pytest

from zhicheng.accounts import service as accounts
from zhicheng.core.ids import citizen_id

PEOPLE_ITEMS = [
    {"name": "sfzh", "label": "公民身份号码", "type": "string", "length": 18, "required": True, "personal": True,
     "sensitivity": "important", "check": "citizen_id"},
    {"name": "xm", "label": "姓名", "type": "string", "length": 10, "required": True, "personal": True},
    {"name": "csrq", "label": "出生日期", "type": "date", "personal": True},
    {"name": "dqdm", "label": "行政区划代码", "type": "string", "length": 6, "check": "region_code"},
    {"name": "sjhm", "label": "手机号码", "type": "string", "length": 11, "check": "mobile", "personal": True},
    {"name": "zz", "label": "住址", "type": "string", "length": 100, "personal": True},
    {"name": "jzrs", "label": "家庭人数", "type": "integer"},
    {"name": "sr", "label": "月收入", "type": "decimal", "length": 12, "scale": 2},
    {"name": "dy", "label": "是否党员", "type": "boolean"},
]
HEADER_LABELS = [i["label"] for i in PEOPLE_ITEMS]
HEADER_NAMES = [i["name"] for i in PEOPLE_ITEMS]
SURNAMES = "王李张刘陈杨黄赵吴周"
DISTRICTS = ["430102", "430103", "430104", "430105", "430111", "430112"]


def person(n: int) -> list[str]:
    """A valid row (the n-th person), in the order of PEOPLE_ITEMS."""
    rnd = random.Random(n)
    born = date(1950, 1, 1) + timedelta(days=rnd.randrange(0, 365 * 60))
    region = DISTRICTS[n % len(DISTRICTS)]
    sex = "M" if n % 2 else "F"
    return [citizen_id.make(region, born, n % 500, sex), SURNAMES[n % 10] + "小" + "明红"[n % 2],
            born.isoformat(), region, f"139{n:08d}"[:11], f"长沙市岳麓区麓山南路{n}号", str(rnd.randrange(1, 7)),
            f"{rnd.randrange(1000, 30000)}.{rnd.randrange(0, 100):02d}", "是" if n % 3 == 0 else "否"]


def write_csv(path: Path, rows, *, header=None, encoding: str = "utf-8", delimiter: str = ",") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(header or HEADER_LABELS)
        writer.writerows(rows)
    return path


@pytest.fixture
def people(make_resource, departments):
    """常住人口基本信息 of 公安局 (draft) with nine data items."""
    return make_resource("常住人口基本信息", department=departments["police"], items=PEOPLE_ITEMS)


@pytest.fixture
def officers(make_user, departments):
    """The data officers of 公安局 (who may import) and 住建局 (who may not)."""
    police = make_user("ds_police_officer", roles=["data_officer"], department=departments["police"],
                       display_name="公安数据员")
    housing = make_user("ds_housing_officer", roles=["data_officer"], department=departments["housing"],
                        display_name="住建数据员")
    return {"police": accounts.actor_for(police), "housing": accounts.actor_for(housing),
            "police_user": police, "housing_user": housing}
