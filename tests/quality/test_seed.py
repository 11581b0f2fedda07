"""The demo's quality dashboard: seed_demo gives real findings, a trend, open and closed tasks; twice is safe."""

from __future__ import annotations

from zhicheng.core.actor import SYSTEM
from zhicheng.quality import flows, service
from zhicheng.quality.seed import SAMPLE_NAME


def test_seed_demo_gives_a_dashboard_with_real_findings(db, people_resource, quality_actors, departments):
    res, _ = people_resource(name="常住人口基本信息（演示）")
    done = flows.seed_demo(db, department_id=departments["police"].id)
    assert done["resources"] == 2 and done["runs"] == 3 and done["open_tasks"] > 0
    board = service.dashboard(db, actor=quality_actors["admin"])
    names = {r["name"] for r in board["resources"]}
    assert {SAMPLE_NAME, "常住人口基本信息（演示）"} <= names
    sample = next(r for r in board["resources"] if r["name"] == SAMPLE_NAME)
    history = service.history(db, actor=SYSTEM, resource_id=sample["resource_id"])
    assert [h["version"] for h in history] == [2, 1] and history[0]["score"] > history[1]["score"]
    report = service.report(db, actor=SYSTEM, resource_id=sample["resource_id"])
    failing = {f["text"].split(" ")[1] for f in report["findings"] if f["failed"]}
    assert {"唯一", "允许值", "跨字段一致"} <= failing  # duplicates, retired region codes, birth dates
    region = next(f for f in report["findings"] if f["item"] == "hjdqdm" and f["kind"] == "allowed")
    assert [s["row"] for s in region["samples"]] == [53, 106, 159, 212, 265]
    closed = service.inbox(db, actor=SYSTEM, state="closed")
    assert any("校验码" in t["rule"] for t in closed)  # fixed in version 2
    # the defective resource's own findings: the check digit, duplicates and others of people_resource
    assert any(w["resource_id"] == res.id for w in board["worst_rules"])
    again = flows.seed_demo(db, department_id=departments["police"].id)
    assert again["rules"] == 0 and "sample_resource_id" not in again
