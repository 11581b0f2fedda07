"""An open catalog to test against: 无条件开放 air-quality data with a masked contact column, a 有条件开放
credit list, a 不予开放 population table and a draft, each published through the catalog service."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from zhicheng.catalog.datasets import service as datasets
from zhicheng.core.actor import SYSTEM
from zhicheng.opendata.ckan import search as ckan_search

AIR_ITEMS = [
    {"name": "station", "label": "监测站点", "type": "string", "length": 50, "required": True},
    {"name": "day", "label": "监测日期", "type": "date", "required": True},
    {"name": "aqi", "label": "空气质量指数", "type": "integer"},
    {"name": "pm25", "label": "PM2.5浓度", "type": "decimal", "length": 8, "scale": 1},
    {
        "name": "contact",
        "label": "联系人手机",
        "type": "string",
        "length": 11,
        "check": "mobile",
        "personal": True,
    },
]
STATIONS = ["湘江中路站", "岳麓山站", "火车站站", "马坡岭站"]
CREDIT_ITEMS = [
    {"name": "qymc", "label": "企业名称", "type": "string", "length": 100, "required": True},
    {"name": "pj", "label": "信用评级", "type": "string", "length": 2},
]
PEOPLE_ITEMS = [
    {"name": "xm", "label": "姓名", "type": "string", "length": 20, "personal": True},
    {"name": "dqdm", "label": "行政区划代码", "type": "string", "length": 6},
]


@dataclass
class OpenCatalog:
    air: Any
    credit: Any
    people: Any
    draft: Any
    rows: list[dict[str, Any]]


def _csv(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _import(db, res, path: Path) -> None:
    report = datasets.import_file(db, actor=SYSTEM, resource_id=res.id, path=path, filename=path.name)
    assert report.ok, report.errors[:3]


@pytest.fixture
def open_catalog(db, make_resource, departments, tmp_path) -> OpenCatalog:
    ckan_search.clear_cache()
    env = departments["housing"]
    air = make_resource(
        "长沙市空气质量日报",
        department=env,
        state="published",
        catalog_class="theme",
        subclass="environment",
        open_type="unconditional",
        update_cycle="daily",
        summary="长沙市各国控监测站点每日空气质量指数与PM2.5浓度。",
        tags=["空气质量", "环境"],
        items=AIR_ITEMS,
        spatial=False,
    )
    rows = []
    for n in range(30):
        rows.append(
            {
                "station": STATIONS[n % 4],
                "day": f"2026-11-{n % 28 + 1:02d}",
                "aqi": 40 + n,
                "pm25": f"{10 + n * 1.5:.1f}",
                "contact": f"1380013{n:04d}",
            }
        )
    _import(
        db, air, _csv(tmp_path / "air.csv", [i["name"] for i in AIR_ITEMS], [list(r.values()) for r in rows])
    )
    credit = make_resource(
        "守信企业名单",
        department=departments["police"],
        state="published",
        catalog_class="department",
        subclass=None,
        open_type="conditional",
        open_condition="注册并申请后使用",
        summary="守信激励企业名单。",
        tags=["信用"],
        items=CREDIT_ITEMS,
    )
    _import(
        db,
        credit,
        _csv(
            tmp_path / "credit.csv", ["qymc", "pj"], [["长沙某科技有限公司", "A"], ["湖南某建设集团", "AA"]]
        ),
    )
    people = make_resource(
        "户籍人口名册",
        department=departments["police"],
        state="published",
        open_type="none",
        items=PEOPLE_ITEMS,
        summary="不开放的人口数据。",
    )
    _import(db, people, _csv(tmp_path / "people.csv", ["xm", "dqdm"], [["张三", "430104"]]))
    draft = make_resource(
        "公交线路（草稿）",
        department=env,
        state="draft",
        open_type="unconditional",
        catalog_class="theme",
        subclass="transport",
        items=CREDIT_ITEMS,
        summary="草稿。",
    )
    ckan_search.clear_cache()
    return OpenCatalog(air=air, credit=credit, people=people, draft=draft, rows=rows)


@pytest.fixture
def ckan_client(live_server):
    """The real ckanapi client against the live server."""
    import ckanapi

    with ckanapi.RemoteCKAN(live_server.url) as client:
        yield client
