"""Fixtures of the quality tests: a population resource with known defects, imported through the datasets service."""

from __future__ import annotations

import csv
import itertools
from datetime import date

import pytest

from zhicheng.accounts import service as accounts
from zhicheng.catalog import service as catalog
from zhicheng.catalog.datasets import service as datasets
from zhicheng.core.ids.citizen_id import make

# no identifier checks on the items: the import lets the defects in, the quality rules find them
PEOPLE_ITEMS = [
    {
        "name": "sfzh",
        "label": "公民身份号码",
        "type": "string",
        "length": 18,
        "personal": True,
        "sensitivity": "important",
    },
    {"name": "xm", "label": "姓名", "type": "string", "length": 50, "personal": True},
    {"name": "xb", "label": "性别", "type": "string", "length": 1},
    {"name": "csrq", "label": "出生日期", "type": "date"},
    {"name": "dqdm", "label": "行政区划代码", "type": "string", "length": 6},
    {"name": "nl", "label": "年龄", "type": "integer"},
]


def person(n: int, region: str = "430104", born: date = date(1985, 3, 1), sex: str = "M") -> dict:
    """A valid person row; `n` varies the sequence number (0-499)."""
    sfzh = make(region, born, n % 500, sex)
    return {
        "sfzh": sfzh,
        "xm": f"测试{n}",
        "xb": "1" if sex == "M" else "2",
        "csrq": born.isoformat(),
        "dqdm": region,
        "nl": 40,
    }


def defective_people() -> list[dict]:
    """30 rows; rows 5, 9, 12, 20 (row numbers as imported) carry one known defect each, rows 14/15 share an ID."""
    rows = [person(i) for i in range(30)]
    rows[4]["sfzh"] = rows[4]["sfzh"][:17] + (
        "0" if rows[4]["sfzh"][17] != "0" else "1"
    )  # row 5: check digit
    rows[8]["dqdm"] = "430124"  # row 9: 宁乡县, retired on 2017-04-09
    rows[11]["csrq"] = "1990-01-01"  # row 12: birth date differs from the ID's
    rows[14]["sfzh"] = rows[13]["sfzh"]  # rows 14 and 15: the same ID
    rows[19]["xm"] = ""  # row 20: name missing
    return rows


def write_csv(path, rows: list[dict], items=PEOPLE_ITEMS) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=[i["name"] for i in items])
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture
def quality_actors(make_user, departments):
    """admin (数据资源局), the 公安局 data officer and user, and a 住建局 officer."""
    users = {
        "admin": make_user("q_admin", roles=["admin"], department=departments["data_bureau"]),
        "officer": make_user("q_officer", roles=["data_officer"], department=departments["police"]),
        "police_user": make_user("q_police_user", roles=["dept_user"], department=departments["police"]),
        "housing": make_user("q_housing", roles=["data_officer"], department=departments["housing"]),
    }
    return {"users": users, **{k: accounts.actor_for(u) for k, u in users.items()}}


@pytest.fixture
def people_resource(db, departments, quality_actors, tmp_path):
    """people_resource(rows=None, name=..., update_cycle=...) -> (resource, import report): 公安局's population data."""
    counter = itertools.count(1)

    def make(rows=None, *, name=None, update_cycle="daily", items=PEOPLE_ITEMS, department=None):
        from tests.helpers.catalog import resource_data

        n = next(counter)
        dept = department or departments["police"]
        res = catalog.create_resource(
            db,
            actor=quality_actors["admin"],
            data=resource_data(
                name=name or f"人口质量测试{n}", items=items, update_cycle=update_cycle, department_id=dept.id
            ),
        )
        report = None
        if rows is not False:
            report = import_rows(
                db, quality_actors["admin"], res.id, rows or defective_people(), tmp_path, items
            )
        return res, report

    return make


def import_rows(db, actor, resource_id: int, rows: list[dict], tmp_path, items=PEOPLE_ITEMS):
    """Import `rows` as the resource's next version; assert it worked."""
    path = tmp_path / f"rows_{resource_id}_{len(rows)}_{id(rows)}.csv"
    write_csv(path, rows, items)
    report = datasets.import_file(db, actor=actor, resource_id=resource_id, path=path, filename="people.csv")
    assert report.ok, report.errors[:3]
    return report
