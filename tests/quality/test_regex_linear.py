"""An officer's format rule runs in linear time (RE2): a catastrophic pattern on a long value cannot pin the
quality runner, and what RE2 cannot promise (backreferences, lookaround) is refused when the rule is made."""

from __future__ import annotations

import pytest

from tests.helpers.quality import PEOPLE_ITEMS, person
from zhicheng.core.errors import Invalid
from zhicheng.quality import service

NOTES = {"name": "bz", "label": "备注", "type": "text"}


@pytest.mark.timeout(60)
def test_a_catastrophic_pattern_on_a_long_value_does_not_pin_the_run(db, people_resource, quality_actors):
    rows = [person(i) for i in range(4)]
    for row, note in zip(rows, ["a" * 40 + "b", "a" * 20_000 + "b", "aaa", ""], strict=True):
        row["bz"] = note
    res, report = people_resource(rows, items=[*PEOPLE_ITEMS, NOTES])
    officer = quality_actors["officer"]
    rule = service.define_rule(
        db, actor=officer, resource_id=res.id, data={"kind": "pattern", "item": "bz", "params": {"regex": "(a+)+$"}}
    )
    service.run(db, actor=officer, resource_id=res.id)  # Python's backtracking engine would take ~2^40 steps here
    found = next(f for f in service.report(db, actor=officer, resource_id=res.id)["findings"] if f["rule_id"] == rule.id)
    assert [s["row"] for s in found["samples"]] == [1, 2]  # the values ending in b; "aaa" passes, empty is skipped


@pytest.mark.parametrize("regex", [r"^(\d)\1{5}$", r"^(?=\d)\w+$", r"^(?<!0)\d+$", r"(?P<x>a)(?P=x)"])
def test_backreferences_and_lookaround_are_refused_naming_the_field(db, people_resource, quality_actors, regex):
    res, _ = people_resource(rows=False)
    with pytest.raises(Invalid) as err:
        service.define_rule(
            db,
            actor=quality_actors["officer"],
            resource_id=res.id,
            data={"kind": "pattern", "item": "dqdm", "params": {"regex": regex}},
        )
    assert err.value.field == "params.regex"
    assert "反向引用" in err.value.zh and "backreferences or lookaround" in err.value.en


def test_the_api_refuses_a_lookaround_with_a_problem_naming_the_field(
    client, people_resource, quality_actors, auth_headers
):
    res, _ = people_resource(rows=False)
    officer = auth_headers(quality_actors["users"]["officer"])
    r = client.post(
        f"/api/v1/quality/resources/{res.id}/rules",
        json={"kind": "pattern", "item": "dqdm", "params": {"regex": r"^(?!0)\d{6}$"}},
        headers=officer,
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["field"] == "params.regex"
