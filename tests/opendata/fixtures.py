"""Fixtures of the portal tests: open resources with imported data, portal users, keys, staff actors."""

from __future__ import annotations

import csv
import itertools
from datetime import date
from pathlib import Path

import pytest

from zhicheng.accounts import service as accounts_service
from zhicheng.catalog.datasets import service as datasets
from zhicheng.core.ids import citizen_id
from zhicheng.opendata import service
from zhicheng.opendata.users import service as accounts

PASSWORD = "Portal2026pw"
PEOPLE_ITEMS = [
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
    {"name": "jd", "label": "所属街道", "type": "string", "length": 50},
    {"name": "rs", "label": "人数", "type": "integer"},
]
SPATIAL_ITEMS = [
    {"name": "mc", "label": "名称", "type": "string", "length": 50},
    {
        "name": "lxdh",
        "label": "联系电话",
        "type": "string",
        "length": 20,
        "personal": True,
        "check": "mobile",
    },
    {"name": "geom", "label": "位置", "type": "geometry"},
]
_seq = itertools.count(1)


def cid(n: int) -> str:
    return citizen_id.make("430104", date(1980, 1, 1 + n % 27), n % 400, "M" if n % 2 else "F")


def import_rows(db, actor, resource_id: int, tmp_path: Path, header: list[str], rows: list[list]) -> None:
    path = tmp_path / f"data_{resource_id}_{next(_seq)}.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    report = datasets.import_file(db, actor=actor, resource_id=resource_id, path=path, filename=path.name)
    assert report.ok, report.errors


@pytest.fixture
def officer(make_user, departments):
    return accounts_service.actor_for(
        make_user(
            "open_officer",
            roles=["data_officer"],
            department=departments["police"],
            display_name="公安数据员",
        )
    )


@pytest.fixture
def staff_admin(make_user, departments):
    return make_user(
        "open_admin", roles=["admin"], department=departments["data_bureau"], display_name="平台管理员"
    )


@pytest.fixture
def open_data(db, make_resource, departments, officer, tmp_path):
    """Three published resources of 公安局 with data: unconditional people, conditional people, spatial sites;
    and one not open."""
    common = {"department": departments["police"], "state": "published", "actor": officer}
    free = make_resource(
        "社区人口统计",
        open_type="unconditional",
        items=PEOPLE_ITEMS,
        tags=["人口", "社区"],
        summary="各街道社区常住人口数量统计，按月更新。",
        update_cycle="monthly",
        **common,
    )
    cond = make_resource(
        "重点人员信息",
        open_type="conditional",
        open_condition="仅限科研用途",
        items=PEOPLE_ITEMS,
        summary="需申请后使用的人员信息。",
        **common,
    )
    geo = make_resource(
        "派出所位置",
        open_type="unconditional",
        items=SPATIAL_ITEMS,
        spatial=True,
        summary="全市派出所的位置与电话。",
        catalog_class="theme",
        subclass="public_service",
        **common,
    )
    closed = make_resource("内部人口库", open_type="none", items=PEOPLE_ITEMS, **common)
    rows = [[cid(i), f"张{i}三", "岳麓街道", str(100 + i)] for i in range(1, 6)]
    for res in (free, cond, closed):
        import_rows(db, officer, res.id, tmp_path, ["sfzh", "xm", "jd", "rs"], rows)
    import_rows(
        db,
        officer,
        geo.id,
        tmp_path,
        ["mc", "lxdh", "geom"],
        [
            ["岳麓派出所", "13800138000", '{"type":"Point","coordinates":[112.93,28.23]}'],
            ["天心派出所", "13900139000", '{"type":"Point","coordinates":[112.98,28.11]}'],
        ],
    )
    return {"free": free, "cond": cond, "geo": geo, "closed": closed, "rows": rows}


@pytest.fixture
def make_portal_user(db, settings):
    def make(username: str = "citizen1", *, kind: str = "citizen", number: str | None = None):
        n = next(_seq)
        return accounts.register(
            db,
            settings=settings,
            kind=kind,
            username=username,
            password=PASSWORD,
            display_name=f"市民{n}",
            id_number=number or cid(1000 + n),
            phone=f"1380000{n:04d}",
        )

    return make


@pytest.fixture
def portal_login():
    """portal_login(client, user) logs in through the JSON API; returns the CSRF token."""

    def do(client, user, password: str = PASSWORD) -> str:
        r = client.post("/api/v1/open/account/login", json={"username": user.username, "password": password})
        assert r.status_code == 200, r.text
        return r.json()["csrf_token"]

    return do


@pytest.fixture
def approved_key(db, open_data, make_portal_user, officer):
    """A portal user with an approved application for the conditional resource and a live key."""
    user = make_portal_user("researcher")
    app = service.apply(db, user=user, resource_id=open_data["cond"].id, purpose="用于城市人口流动的学术研究")
    service.decide_application(db, actor=officer, application_id=app.id, decision="approve")
    row, key = service.create_key(db, user=user, name="研究")
    return {"user": user, "key": key, "row": row, "application": app}
