"""Fixtures of the catalog domain other tests use: catalog actors and a factory of data resources in any state."""

from __future__ import annotations

import copy
import itertools

import pytest

from zhicheng.accounts import service as accounts
from zhicheng.catalog import service as catalog

SAMPLE_ITEMS = [
    {"name": "sfzh", "label": "公民身份号码", "type": "string", "length": 18, "required": True, "personal": True,
     "sensitivity": "important", "check": "citizen_id"},
    {"name": "xm", "label": "姓名", "type": "string", "length": 50, "required": True, "personal": True},
    {"name": "csrq", "label": "出生日期", "type": "date", "personal": True},
    {"name": "zz", "label": "住址", "type": "string", "length": 200, "personal": True},
]


def resource_data(**overrides) -> dict:
    """A complete, valid resource description (常住人口-like, conditional sharing); override any field."""
    data = {
        "name": "常住人口基本信息",
        "catalog_class": "base",
        "subclass": "population",
        "summary": "全市常住人口的身份、出生与住址信息，用于政务服务身份核验。",
        "format": "database",
        "file_formats": ["csv"],
        "share_type": "conditional",
        "share_condition": "用于政务服务身份核验，经数据资源局审批后共享",
        "share_method": "api",
        "open_type": "none",
        "update_cycle": "daily",
        "tags": ["人口", "户籍"],
        "spatial": False,
        "items": copy.deepcopy(SAMPLE_ITEMS),
    }
    data.update(overrides)
    return data


@pytest.fixture
def catalog_actors(make_user, departments):
    """Actors of the catalog story: admin (数据资源局), officers of 公安局 and 住建局, a 公安局 user."""
    users = {
        "admin": make_user("cat_admin", roles=["admin"], department=departments["data_bureau"],
                           display_name="审核员王芳"),
        "officer": make_user("police_officer", roles=["data_officer"], department=departments["police"],
                             display_name="公安数据员李强"),
        "housing_officer": make_user("housing_officer", roles=["data_officer"],
                                     department=departments["housing"], display_name="住建数据员赵敏"),
        "police_user": make_user("police_user", roles=["dept_user"], department=departments["police"]),
    }
    return {key: accounts.actor_for(user) for key, user in users.items()}


@pytest.fixture
def make_resource(db, departments, make_user):
    """make_resource(name=..., department=dept, state="draft"|"submitted"|"returned"|"published"|"withdrawn",
    actor=..., **fields) -> Resource, registered through the catalog service by the department's data officer
    (created on the fly) and, for published/withdrawn, published by an admin."""
    counter = itertools.count(1)
    cache: dict[str, object] = {}

    def actor_of(kind: str, dept):
        key = f"{kind}:{dept.id}"
        if key not in cache:
            n = next(counter)
            roles = ["admin"] if kind == "admin" else ["data_officer"]
            cache[key] = accounts.actor_for(make_user(f"mk_{kind}_{dept.id}_{n}", roles=roles, department=dept))
        return cache[key]

    def make(name: str | None = None, *, department=None, state: str = "draft", actor=None, **fields):
        dept = department or departments["police"]
        officer = actor or actor_of("officer", dept)
        admin = actor_of("admin", departments["data_bureau"])
        data = resource_data(**fields)
        if name:
            data["name"] = name
        data["department_id"] = dept.id
        res = catalog.create_resource(db, actor=officer, data=data)
        if state == "draft":
            return res
        res = catalog.submit(db, actor=officer, resource_id=res.id)
        if state == "returned":
            return catalog.review(db, actor=admin, resource_id=res.id, decision="return", comment="请补充")
        if state in ("published", "withdrawn"):
            res = catalog.review(db, actor=admin, resource_id=res.id, decision="publish")
        if state == "withdrawn":
            res = catalog.withdraw(db, actor=officer, resource_id=res.id, reason="数据已停止更新")
        return res

    return make
