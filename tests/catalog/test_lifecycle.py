"""The story of a resource: a data officer registers it with items, submits; the admin returns it with a comment;
the officer fixes and resubmits; the admin publishes; the officer revises (both revisions readable) and withdraws."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.helpers.catalog import resource_data
from zhicheng.catalog import service as catalog
from zhicheng.catalog.items import ItemCheck, ItemType, Sensitivity
from zhicheng.core.errors import Conflict, Forbidden
from zhicheng.core.events import bus
from zhicheng.policy.models import AuditEntry


@pytest.fixture
def heard():
    events: list[tuple[str, dict]] = []

    def hear(name: str, payload: dict) -> None:
        events.append((name, payload))

    bus.subscribe("*", hear)
    yield events
    bus.unsubscribe("*", hear)  # not clear(): the domains' own subscriptions must stay


def test_register_review_publish_revise_withdraw(db, catalog_actors, departments, heard):
    officer, admin, other = catalog_actors["officer"], catalog_actors["admin"], catalog_actors["housing_officer"]

    res = catalog.create_resource(db, actor=officer, data=resource_data())
    assert res.state == "draft" and res.revision == 0
    assert res.department_id == departments["police"].id
    assert [i.name for i in res.items] == ["sfzh", "xm", "csrq", "zz"]
    specs = catalog.item_specs(db, res.id)
    assert specs[0].type is ItemType.STRING and specs[0].check is ItemCheck.CITIZEN_ID
    assert specs[0].sensitivity is Sensitivity.IMPORTANT and specs[0].personal and specs[0].required

    # another department cannot see the draft; its own department can
    with pytest.raises(Forbidden):
        catalog.read_resource(db, actor=other, resource_id=res.id)
    assert catalog.read_resource(db, actor=catalog_actors["police_user"], resource_id=res.id)["state"] == "draft"

    catalog.submit(db, actor=officer, resource_id=res.id, comment="请审核")
    assert res.state == "submitted"
    assert [d["id"] for d in catalog.review_queue(db, actor=admin)] == [res.id]
    with pytest.raises(Conflict):  # a submitted resource is frozen until reviewed
        catalog.update_resource(db, actor=officer, resource_id=res.id, data={"summary": "改一下摘要内容"})

    catalog.review(db, actor=admin, resource_id=res.id, decision="return", comment="请补充住址的说明")
    assert res.state == "returned"
    catalog.update_resource(db, actor=officer, resource_id=res.id,
                            data={"items": [*resource_data()["items"][:3],
                                            {"name": "zz", "label": "住址", "description": "常住地址，到门牌号"}]})
    catalog.submit(db, actor=officer, resource_id=res.id)
    catalog.review(db, actor=admin, resource_id=res.id, decision="publish", comment="同意发布")
    assert res.state == "published" and res.revision == 1 and res.publish_date is not None
    first = catalog.read_resource(db, actor=other, resource_id=res.id)
    assert first["view"] == "pub" and first["items"][3]["description"] == "常住地址，到门牌号"

    # revise: a new draft; everyone else still sees revision 1
    catalog.revise(db, actor=officer, resource_id=res.id)
    assert res.state == "draft"
    catalog.update_resource(db, actor=officer, resource_id=res.id, data={"summary": "第二版摘要：增加流动人口。"})
    seen_by_other = catalog.read_resource(db, actor=other, resource_id=res.id)
    assert seen_by_other["revision"] == 1 and seen_by_other["summary"] == first["summary"]
    assert catalog.read_resource(db, actor=officer, resource_id=res.id)["summary"] == "第二版摘要：增加流动人口。"
    catalog.submit(db, actor=officer, resource_id=res.id)
    catalog.review(db, actor=admin, resource_id=res.id, decision="publish")
    assert res.revision == 2
    revisions = catalog.list_revisions(db, actor=other, resource_id=res.id)
    assert [r.revision for r in revisions] == [2, 1]
    assert revisions[1].snapshot["summary"] == first["summary"]
    assert revisions[0].snapshot["summary"] == "第二版摘要：增加流动人口。"
    assert revisions[0].published_by_name == "审核员王芳"
    code = res.code
    assert catalog.read_by_code(db, actor=other, code=code)["revision"] == 2

    catalog.withdraw(db, actor=officer, resource_id=res.id, reason="数据已并入人口综合库")
    assert res.state == "withdrawn" and res.withdrawn_reason == "数据已并入人口综合库"
    with pytest.raises(Forbidden):
        catalog.read_resource(db, actor=other, resource_id=res.id)
    with pytest.raises(Forbidden):
        catalog.list_revisions(db, actor=other, resource_id=res.id)
    assert len(catalog.list_revisions(db, actor=officer, resource_id=res.id)) == 2
    assert res.code == code  # the code never changes once published

    history = [(r.action, r.to_state, r.comment) for r in catalog.list_reviews(db, actor=officer, resource_id=res.id)]
    assert history[:4] == [("create", "draft", None), ("submit", "submitted", "请审核"),
                           ("return", "returned", "请补充住址的说明"), ("submit", "submitted", None)]
    assert [a for a, _, _ in history[4:]] == ["publish", "revise", "submit", "publish", "withdraw"]

    names = [n for n, _ in heard]
    for event in ("created", "submitted", "returned", "updated", "published", "revised", "withdrawn"):
        assert f"catalog.resource.{event}" in names
    actions = db.scalars(select(AuditEntry.action).where(AuditEntry.target_kind == "catalog.resource")).all()
    assert "catalog.resource.create" in actions and actions.count("catalog.resource.review") == 3


def test_other_department_cannot_change_anything(db, catalog_actors, make_resource):
    res = make_resource("常住人口基本信息")
    before = catalog.document(db, res)
    intruder = catalog_actors["housing_officer"]
    for call in (lambda: catalog.update_resource(db, actor=intruder, resource_id=res.id, data={"summary": "篡改"}),
                 lambda: catalog.submit(db, actor=intruder, resource_id=res.id),
                 lambda: catalog.review(db, actor=catalog_actors["officer"], resource_id=res.id,
                                        decision="publish")):
        with pytest.raises(Forbidden):
            call()
    db.expire_all()
    after = catalog.document(db, catalog.get_resource(db, res.id))
    assert after == before
    denied = db.scalars(select(AuditEntry).where(AuditEntry.outcome == "denied")).all()
    assert len(denied) == 3


def test_duplicate_name_in_department_conflicts(db, catalog_actors, departments, make_resource):
    make_resource("常住人口基本信息")
    with pytest.raises(Conflict) as exc:
        catalog.create_resource(db, actor=catalog_actors["officer"], data=resource_data())
    assert exc.value.field == "name"
    # the same name in another department is fine
    other = catalog.create_resource(db, actor=catalog_actors["housing_officer"], data=resource_data())
    assert other.department_id == departments["housing"].id


def test_a_withdrawn_resource_comes_back_only_when_republished(db, catalog_actors, make_resource):
    officer, admin, other = catalog_actors["officer"], catalog_actors["admin"], catalog_actors["housing_officer"]
    res = make_resource("常住人口基本信息", state="withdrawn")
    catalog.revise(db, actor=officer, resource_id=res.id)
    assert res.state == "draft" and not catalog.is_live(res)
    with pytest.raises(Forbidden):
        catalog.read_resource(db, actor=other, resource_id=res.id)
    catalog.submit(db, actor=officer, resource_id=res.id)
    catalog.review(db, actor=admin, resource_id=res.id, decision="publish")
    seen = catalog.read_resource(db, actor=other, resource_id=res.id)
    assert seen["revision"] == 2 and seen["withdrawn_reason"] is None and catalog.is_live(res)
