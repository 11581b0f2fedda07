"""Fixtures of the base databases: an admin and officers, generated population sources, lineage recording."""

from __future__ import annotations

import pytest

from zhicheng.accounts import service as accounts
from zhicheng.basedb import flows, sample
from zhicheng.core.db import make_sessionmaker


@pytest.fixture
def basedb_actors(make_user, departments):
    """admin (数据资源局), officers of 公安局 and 住建局 (the two source departments), a leader, a district user,
    an admin of the city government (outside the bureau that owns the base database)."""
    users = {
        "admin": make_user("bdb_admin", roles=["admin"], department=departments["data_bureau"]),
        "police": make_user("bdb_police", roles=["data_officer"], department=departments["police"]),
        "housing": make_user("bdb_housing", roles=["data_officer"], department=departments["housing"]),
        "leader": make_user("bdb_leader", roles=["leader"], department=departments["city"]),
        "outsider": make_user("bdb_outsider", roles=["dept_user"], department=departments["district"]),
        "city_admin": make_user("bdb_city_admin", roles=["admin"], department=departments["city"]),
    }
    return {k: accounts.actor_for(u) for k, u in users.items()}


@pytest.fixture
def lineage_on(engine):
    """Lineage recorded from bus events into this test's database."""
    from zhicheng.lineage import service as lineage

    lineage.attach(make_sessionmaker(engine))
    yield


@pytest.fixture
def population(db, departments, basedb_actors):
    """population(rows=60, **rates) -> (assembly, source a id, source b id, truth): two generated sources
    (公安局, 住建局) assembled into a 人口基础库 and run once."""

    def make(rows: int = 60, seed: int = 7, run: bool = True, **rates):
        admin = basedb_actors["admin"]
        a, b, truth = flows.make_sources(
            db,
            actor=admin,
            departments=(departments["police"].id, departments["housing"].id),
            rows=rows,
            seed=seed,
            **rates,
        )
        asm = flows.define_assembly(
            db,
            actor=admin,
            data={
                "name": "人口基础库",
                "template": "population",
                "department_id": departments["data_bureau"].id,
                "fields": sample.population_fields(a, b),
            },
        )
        if run:
            flows.run_assembly(db, actor=admin, assembly_id=asm.id)
        return asm, a, b, truth

    return make


@pytest.fixture
def make_source(db, basedb_actors, tmp_path):
    """make_source(name, items, rows, department) -> resource id: a published resource with one imported
    version holding `rows` (lists in item order)."""
    import csv

    from zhicheng.catalog import service as catalog
    from zhicheng.catalog.datasets import service as datasets

    admin = basedb_actors["admin"]

    def make(name: str, items: list[dict], rows: list[list], department) -> int:
        res = catalog.create_resource(
            db,
            actor=admin,
            data={
                "name": name,
                "catalog_class": "base",
                "subclass": "population",
                "summary": "测试来源（系统生成）",
                "format": "database",
                "file_formats": ["csv"],
                "share_type": "conditional",
                "share_condition": "用于基础库汇聚",
                "share_method": "api",
                "open_type": "none",
                "update_cycle": "daily",
                "items": items,
                "department_id": department.id,
            },
        )
        catalog.submit(db, actor=admin, resource_id=res.id)
        catalog.review(db, actor=admin, resource_id=res.id, decision="publish")
        path = tmp_path / f"source-{res.id}.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow([i["name"] for i in items])
            writer.writerows(rows)
        report = datasets.import_file(db, actor=admin, resource_id=res.id, path=path, filename=path.name)
        assert report.ok, report.errors
        return res.id

    return make


# -- a small hand-made story: the police (authoritative) and the housing bureau --------------------------

P1, P2, P3, P4 = "430102198001010011", "430104197512310022", "430105199006150033", "430102198503200042"
POLICE_ITEMS = [
    {
        "name": "sfzh",
        "label": "公民身份号码",
        "type": "string",
        "length": 18,
        "personal": True,
        "check": "citizen_id",
    },
    {"name": "xm", "label": "姓名", "type": "string", "length": 50, "personal": True},
    {"name": "csrq", "label": "出生日期", "type": "date", "personal": True},
    {"name": "zz", "label": "住址", "type": "string", "length": 200, "personal": True},
]
HOUSING_ITEMS = [
    {"name": "zjhm", "label": "证件号码", "type": "string", "length": 18, "personal": True},
    {"name": "xm", "label": "姓名", "type": "string", "length": 50, "personal": True},
    {"name": "csrq", "label": "出生日期", "type": "date", "personal": True},
    {"name": "dz", "label": "地址", "type": "string", "length": 200, "personal": True},
    {"name": "lxdh", "label": "联系电话", "type": "string", "length": 20, "personal": True},
]
POLICE_ROWS = [
    [P1, "张三", "1980-01-01", "长沙市芙蓉区五一大道1号"],
    [P2, "李四", "1975-12-31", "长沙市岳麓区麓山南路2号"],
    [P3, "王五", "1990-06-15", ""],  # no address: the housing bureau's is used (fallback)
    ["", "赵六", "1985-03-20", "长沙市芙蓉区芙蓉中路4号"],  # no key: joined to 赵六 of the housing bureau
]
HOUSING_ROWS = [
    [P2, "李四", "1975-12-31", "长沙市岳麓区麓山南路22号", "13800000002"],  # disagrees on the address
    ["", "張 三", "1980-01-01", "长沙市芙蓉区五一大道1号", "13800000001"],  # no key, traditional + space
    [P3[:17] + "4", "王五", "1990-06-15", "长沙市开福区湘江中路3号", "13800000003"],  # wrong check digit
    [P4, "赵六", "1985-03-20", "长沙市芙蓉区芙蓉中路4号", "13800000004"],
    ["", "孙七", "1999-09-09", "长沙市雨花区劳动西路5号", "13800000005"],  # nobody else: a record of its own
]


def fields(a: int, b: int) -> list[dict]:
    return [
        {
            "field": "citizen_id",
            "source": {"resource_id": a, "item": "sfzh"},
            "fallbacks": [{"resource_id": b, "item": "zjhm"}],
        },
        {
            "field": "name",
            "source": {"resource_id": a, "item": "xm"},
            "fallbacks": [{"resource_id": b, "item": "xm"}],
        },
        {
            "field": "birth_date",
            "source": {"resource_id": a, "item": "csrq"},
            "fallbacks": [{"resource_id": b, "item": "csrq"}],
        },
        {
            "field": "address",
            "source": {"resource_id": a, "item": "zz"},
            "fallbacks": [{"resource_id": b, "item": "dz"}],
        },
        {"field": "mobile", "source": {"resource_id": b, "item": "lxdh"}},
    ]


@pytest.fixture
def sources(make_source, departments):
    a = make_source("常住人口登记", POLICE_ITEMS, POLICE_ROWS, departments["police"])
    b = make_source("住房保障对象", HOUSING_ITEMS, HOUSING_ROWS, departments["housing"])
    return a, b


@pytest.fixture
def assembled(db, sources, basedb_actors, departments):
    a, b = sources
    admin = basedb_actors["admin"]
    asm = flows.define_assembly(
        db,
        actor=admin,
        data={
            "name": "人口基础库",
            "template": "population",
            "department_id": departments["data_bureau"].id,
            "fields": fields(a, b),
        },
    )
    run = flows.run_assembly(db, actor=admin, assembly_id=asm.id)
    return asm, run, a, b
