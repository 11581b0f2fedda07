"""Where data comes from and where it goes: imports and assembly runs recorded from bus events, walked up and
down from any resource, by service, API, page and command line."""

from __future__ import annotations

import pytest

from zhicheng.core.errors import Forbidden, Invalid
from zhicheng.lineage import flows, service


def labels(view, kind=None, sign=None) -> set[str]:
    return {
        n["label"]
        for n in view["nodes"]
        if (kind is None or n["kind"] == kind)
        and (sign is None or (n["depth"] > 0 if sign > 0 else n["depth"] < 0))
    }


def test_upstream_and_downstream_of_an_assembled_base_database(db, lineage_on, population, basedb_actors):
    asm, a, b, _truth = population(rows=40)
    admin = basedb_actors["admin"]
    up = service.graph(db, actor=admin, resource_id=asm.resource_id, direction="up", depth=3)
    assert {"户籍人口信息（演示）", "卫生健康服务对象（演示）"} <= labels(up, "resource", -1)
    assert labels(up, "assembly", -1) == {"人口基础库"}
    assert "户籍人口信息（演示） 第 1 版" in labels(up, "dataset", -1)
    assert "人口基础库 第 1 版" in labels(up, "dataset", -1)  # the version the run wrote
    assert all(n["depth"] <= 0 for n in up["nodes"])

    down = service.graph(db, actor=admin, resource_id=a, direction="down", depth=2)
    assert labels(down, "assembly", 1) == {"人口基础库"} and "人口基础库" in labels(down, "resource", 1)
    assert all(n["depth"] >= 0 for n in down["nodes"])
    kinds = {e["kind"] for e in down["edges"]}
    assert {"source", "produces"} <= kinds

    one = service.graph(db, actor=admin, resource_id=a, direction="down", depth=1)
    assert "人口基础库" not in labels(one, "resource")  # depth 1 stops at the assembly
    both = service.graph(db, actor=admin, resource_id=a, direction="both", depth=2)
    assert labels(both, "dataset", -1) == {"户籍人口信息（演示） 第 1 版"}


def test_a_second_import_adds_a_version_node(db, lineage_on, make_source, departments, basedb_actors):
    from tests.helpers.basedb import POLICE_ITEMS, POLICE_ROWS

    rid = make_source("常住人口登记", POLICE_ITEMS, POLICE_ROWS, departments["police"])
    view = service.graph(db, actor=basedb_actors["admin"], resource_id=rid, direction="up", depth=1)
    assert labels(view, "dataset") == {"常住人口登记 第 1 版"}
    assert [r["label"] for r in service.list_resources(db, actor=basedb_actors["admin"])] == ["常住人口登记"]


def test_bad_parameters_and_unseen_resources_are_refused(
    db, lineage_on, make_resource, basedb_actors, departments
):
    draft = make_resource("未发布的资源", department=departments["police"])
    with pytest.raises(Invalid) as err:
        service.graph(db, actor=basedb_actors["admin"], resource_id=draft.id, direction="sideways")
    assert err.value.field == "direction"
    with pytest.raises(Invalid):
        service.graph(db, actor=basedb_actors["admin"], resource_id=draft.id, depth=99)
    with pytest.raises(Forbidden):  # a draft of another department
        service.graph(db, actor=basedb_actors["housing"], resource_id=draft.id)


def test_the_api_and_the_page(client, db, lineage_on, population, basedb_actors, auth_headers, login):
    from zhicheng.accounts import service as accounts

    asm, a, b, _truth = population(rows=20)
    user = accounts.get_user_by_username(db, "bdb_admin")
    r = client.get(
        f"/api/v1/lineage/resources/{asm.resource_id}?direction=up&depth=2", headers=auth_headers(user)
    )
    assert r.status_code == 200, r.text
    assert "人口基础库" in {n["label"] for n in r.json()["nodes"] if n["kind"] == "assembly"}
    bad = client.get(f"/api/v1/lineage/resources/{asm.resource_id}?depth=0", headers=auth_headers(user))
    assert bad.status_code == 422
    login(client, user)
    page = client.get(f"/lineage/resources/{a}")
    assert page.status_code == 200 and "lineage-graph" in page.text and "人口基础库" in page.text
    index = client.get("/lineage")
    assert index.status_code == 200 and "户籍人口信息（演示）" in index.text


def test_what_happened_before_anyone_listened_is_caught_up(db, population, basedb_actors):
    asm, a, b, _truth = population(rows=20)  # no lineage_on: nobody recorded the imports and the run
    admin = basedb_actors["admin"]
    assert service.graph(db, actor=admin, resource_id=asm.resource_id, direction="up")["nodes"] == []
    assert flows.catch_up(db) == 3  # two sources and the assembled version
    flows.catch_up(db)  # idempotent
    up = service.graph(db, actor=admin, resource_id=asm.resource_id, direction="up", depth=3)
    assert labels(up, "assembly") == {"人口基础库"} and "户籍人口信息（演示）" in labels(up, "resource")
