"""A quality run finds each seeded defect with its row, scores the dimensions and keeps a bounded, masked sample."""

from __future__ import annotations

from datetime import timedelta

import pytest

from zhicheng.core import clock
from zhicheng.quality import service

RULES = [
    {"kind": "required", "item": "xm"},
    {"kind": "unique", "item": "sfzh"},
    {"kind": "check", "item": "sfzh", "params": {"scheme": "citizen_id"}},
    {"kind": "allowed", "item": "dqdm", "params": {"table": "gb2260"}},
    {"kind": "allowed", "item": "xb", "params": {"table": "gb2261.1"}},
    {"kind": "cross", "item": "sfzh", "params": {"relation": "birth_date", "other": "csrq"}},
    {"kind": "cross", "item": "sfzh", "params": {"relation": "sex", "other": "xb"}},
    {"kind": "range", "item": "nl", "params": {"min": 0, "max": 150}},
    {"kind": "timely"},
]


def define_all(db, actor, resource_id, rules=RULES):
    return {
        (r["kind"], r.get("item"), (r.get("params") or {}).get("relation")): service.define_rule(
            db, actor=actor, resource_id=resource_id, data=r
        )
        for r in rules
    }


def finding(report, rule):
    return next(f for f in report["findings"] if f["rule_id"] == rule.id)


def test_each_seeded_defect_is_found_with_its_row(db, people_resource, quality_actors):
    res, _ = people_resource()
    rules = define_all(db, quality_actors["officer"], res.id)
    run = service.run(db, actor=quality_actors["officer"], resource_id=res.id)
    assert run.rows == 30 and run.version == 1
    report = service.report(db, actor=quality_actors["officer"], resource_id=res.id)

    check = finding(report, rules[("check", "sfzh", None)])
    assert check["failed"] == 1 and [s["row"] for s in check["samples"]] == [5]
    region = finding(report, rules[("allowed", "dqdm", None)])
    assert region["failed"] == 1 and region["samples"] == [{"row": 9, "value": "430124"}]
    born = finding(report, rules[("cross", "sfzh", "birth_date")])
    assert born["failed"] == 1 and born["samples"][0]["row"] == 12
    dup = finding(report, rules[("unique", "sfzh", None)])
    assert dup["failed"] == 2 and sorted(s["row"] for s in dup["samples"]) == [14, 15]
    name = finding(report, rules[("required", "xm", None)])
    assert name["failed"] == 1 and name["samples"][0]["row"] == 20
    for key in (
        ("allowed", "xb", None),
        ("cross", "sfzh", "sex"),
        ("range", "nl", None),
        ("timely", None, None),
    ):
        assert finding(report, rules[key])["failed"] == 0, key

    # personal values are masked in the sample: the citizen ID keeps only its ends
    assert "*" in dup["samples"][0]["value"] and len(dup["samples"][0]["value"]) == 18
    # scores: every dimension below 100 where a defect was seeded, timeliness perfect
    assert report["run"]["scores"]["timeliness"] == 100.0
    assert report["run"]["scores"]["uniqueness"] == pytest.approx(100 * 28 / 30, abs=0.01)
    assert report["run"]["scores"]["completeness"] == pytest.approx(100 * 29 / 30, abs=0.01)
    assert 0 < report["run"]["score"] < 100


def test_retired_region_code_passes_before_its_retirement_date(db, people_resource, quality_actors):
    res, _ = people_resource()
    before = service.define_rule(
        db,
        actor=quality_actors["officer"],
        resource_id=res.id,
        data={"kind": "allowed", "item": "dqdm", "params": {"table": "gb2260", "on": "2017-04-08"}},
    )
    after = service.define_rule(
        db,
        actor=quality_actors["officer"],
        resource_id=res.id,
        data={"kind": "allowed", "item": "dqdm", "params": {"table": "gb2260", "on": "2017-04-09"}},
    )
    service.run(db, actor=quality_actors["officer"], resource_id=res.id)
    report = service.report(db, actor=quality_actors["officer"], resource_id=res.id)
    assert finding(report, before)["failed"] == 0
    assert finding(report, after)["samples"] == [{"row": 9, "value": "430124"}]


def test_stale_update_is_found(db, people_resource, quality_actors):
    res, _ = people_resource(update_cycle="weekly")
    rule = service.define_rule(
        db, actor=quality_actors["officer"], resource_id=res.id, data={"kind": "timely"}
    )
    clock.advance(timedelta(days=9))
    service.run(db, actor=quality_actors["officer"], resource_id=res.id)
    report = service.report(db, actor=quality_actors["officer"], resource_id=res.id)
    stale = finding(report, rule)
    assert stale["failed"] == 1 and stale["samples"][0]["row"] is None
    assert report["run"]["scores"]["timeliness"] == 0.0


def test_reference_rule_finds_values_missing_from_the_other_resource(
    db, people_resource, quality_actors, tmp_path
):
    from tests.helpers.quality import defective_people

    people, _ = people_resource()
    # 住建局's residents point at the population by ID number; the last one is unknown there
    rows = [dict(r) for r in defective_people()[:3]]
    rows[2]["sfzh"] = "110101199003070000"
    residents, _ = people_resource(rows, name="住房保障对象")
    rule = service.define_rule(
        db,
        actor=quality_actors["admin"],
        resource_id=residents.id,
        data={"kind": "reference", "item": "sfzh", "params": {"resource_id": people.id, "item": "sfzh"}},
    )
    service.run(db, actor=quality_actors["admin"], resource_id=residents.id)
    report = service.report(db, actor=quality_actors["admin"], resource_id=residents.id)
    assert [s["row"] for s in finding(report, rule)["samples"]] == [3]


def test_format_rules_find_their_rows_in_sql_and_in_python(db, people_resource, quality_actors):
    from tests.helpers.quality import person

    rows = [person(i) for i in range(6)]
    rows[2]["dqdm"] = "4301AB"
    res, _ = people_resource(rows)
    officer = quality_actors["officer"]
    in_sql = service.define_rule(
        db,
        actor=officer,
        resource_id=res.id,
        data={"kind": "pattern", "item": "dqdm", "params": {"regex": r"^\d{6}$"}},
    )
    in_python = service.define_rule(
        db,
        actor=officer,
        resource_id=res.id,
        data={"kind": "pattern", "item": "dqdm", "params": {"regex": r"^\d+$"}},
    )
    service.run(db, actor=officer, resource_id=res.id)
    report = service.report(db, actor=officer, resource_id=res.id)
    assert finding(report, in_sql)["samples"] == [{"row": 3, "value": "4301AB"}]
    assert finding(report, in_python)["samples"] == [{"row": 3, "value": "4301AB"}]
