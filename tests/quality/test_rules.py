"""Rules are checked when they are defined: the error names the field at fault; proposals come from the items
and a profile of the data; a generated valid identifier never fails its check."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhicheng.core.errors import Conflict, Forbidden, Invalid, NotFound
from zhicheng.core.ids import citizen_id, credit_code
from zhicheng.quality import compile as plans
from zhicheng.quality import service

BAD = [
    ({"kind": "pattern", "item": "sfzh", "params": {"regex": "^[0-9"}}, "params.regex"),
    ({"kind": "range", "item": "nl", "params": {"min": 10, "max": 1}}, "params.max"),
    ({"kind": "range", "item": "csrq", "params": {"min": "2000-13-01"}}, "params.min"),
    ({"kind": "range", "item": "xm", "params": {"min": 1}}, "item"),
    ({"kind": "required", "item": "no_such_item"}, "item"),
    ({"kind": "allowed", "item": "dqdm", "params": {"table": "gb9999"}}, "params.table"),
    ({"kind": "allowed", "item": "dqdm", "params": {}}, "params.values"),
    ({"kind": "check", "item": "sfzh", "params": {"scheme": "luhn"}}, "params.scheme"),
    (
        {"kind": "cross", "item": "sfzh", "params": {"relation": "birth_date", "other": "missing"}},
        "params.other",
    ),
    ({"kind": "frobnicate", "item": "sfzh"}, "kind"),
    ({"kind": "required", "item": "xm", "dimension": "beauty"}, "dimension"),
]


@pytest.mark.parametrize(("data", "field"), BAD)
def test_a_rule_that_does_not_compile_or_fit_is_refused_with_its_field(
    db, people_resource, quality_actors, data, field
):
    res, _ = people_resource(rows=False)
    with pytest.raises(Invalid) as err:
        service.define_rule(db, actor=quality_actors["officer"], resource_id=res.id, data=data)
    assert err.value.field == field, err.value.en


def test_circular_references_are_refused(db, people_resource, quality_actors):
    a, _ = people_resource(rows=False, name="资源甲")
    b, _ = people_resource(rows=False, name="资源乙")
    c, _ = people_resource(rows=False, name="资源丙")
    admin = quality_actors["admin"]
    ref = {"kind": "reference", "item": "sfzh"}
    service.define_rule(
        db, actor=admin, resource_id=a.id, data={**ref, "params": {"resource_id": b.id, "item": "sfzh"}}
    )
    service.define_rule(
        db, actor=admin, resource_id=b.id, data={**ref, "params": {"resource_id": c.id, "item": "sfzh"}}
    )
    with pytest.raises(Invalid) as err:  # C -> A closes A -> B -> C -> A
        service.define_rule(
            db, actor=admin, resource_id=c.id, data={**ref, "params": {"resource_id": a.id, "item": "sfzh"}}
        )
    assert err.value.field == "params.resource_id" and "→" in err.value.zh
    with pytest.raises(Invalid) as err:
        service.define_rule(
            db,
            actor=admin,
            resource_id=c.id,
            data={**ref, "params": {"resource_id": a.id, "item": "nothing"}},
        )
    assert err.value.field == "params.item"
    with pytest.raises(NotFound) as err:
        service.define_rule(
            db, actor=admin, resource_id=c.id, data={**ref, "params": {"resource_id": 99999, "item": "sfzh"}}
        )
    assert err.value.field == "params.resource_id"


def test_only_the_providing_department_and_the_bureau_define_rules(db, people_resource, quality_actors):
    res, _ = people_resource(rows=False)
    with pytest.raises(Forbidden):
        service.define_rule(
            db, actor=quality_actors["housing"], resource_id=res.id, data={"kind": "required", "item": "xm"}
        )
    with pytest.raises(Forbidden):
        service.list_rules(db, actor=quality_actors["housing"], resource_id=res.id)
    service.define_rule(
        db, actor=quality_actors["officer"], resource_id=res.id, data={"kind": "required", "item": "xm"}
    )
    with pytest.raises(Conflict):
        service.define_rule(
            db, actor=quality_actors["admin"], resource_id=res.id, data={"kind": "required", "item": "xm"}
        )
    assert len(service.list_rules(db, actor=quality_actors["police_user"], resource_id=res.id)) == 1


def test_irregular_resources_take_no_timeliness_rule(db, people_resource, quality_actors):
    res, _ = people_resource(rows=False, update_cycle="irregular")
    with pytest.raises(Invalid) as err:
        service.define_rule(db, actor=quality_actors["officer"], resource_id=res.id, data={"kind": "timely"})
    assert err.value.field == "kind"


def test_proposals_come_from_items_and_profile_and_are_accepted(db, people_resource, quality_actors):
    from tests.helpers.quality import PEOPLE_ITEMS

    items = [dict(i) for i in PEOPLE_ITEMS]
    items[0]["check"] = "citizen_id"
    items[4]["check"] = "region_code"
    items[1]["required"] = True
    from tests.helpers.quality import person

    res, _ = people_resource([person(i, sex="F" if i % 3 else "M") for i in range(40)], items=items)
    officer = quality_actors["officer"]
    made = service.propose(db, actor=officer, resource_id=res.id)
    got = {
        (r.kind, r.item, r.params.get("relation") or r.params.get("table") or r.params.get("scheme")): r
        for r in made
    }
    assert ("required", "xm", None) in got and "必填" in got[("required", "xm", None)].reason
    assert ("check", "sfzh", "citizen_id") in got
    assert ("allowed", "dqdm", "gb2260") in got
    assert ("unique", "sfzh", None) in got
    assert ("allowed", "xb", "gb2261.1") in got
    assert ("cross", "sfzh", "birth_date") in got and ("cross", "sfzh", "sex") in got
    assert ("range", "nl", None) in got and got[("range", "nl", None)].params == {"min": "40", "max": "40"}
    assert ("timely", None, None) in got
    assert all(r.state == "proposed" for r in made)
    # proposing again adds nothing; accepting makes a rule active, dismissing keeps it from coming back
    assert service.propose(db, actor=officer, resource_id=res.id) == []
    service.set_rule_state(db, actor=officer, rule_id=got[("unique", "sfzh", None)].id, state="active")
    service.set_rule_state(db, actor=officer, rule_id=got[("range", "nl", None)].id, state="dismissed")
    active = service.list_rules(db, actor=officer, resource_id=res.id, states=("active",))
    assert [r.kind for r in active] == ["unique"]
    assert service.propose(db, actor=officer, resource_id=res.id) == []


@settings(max_examples=200, deadline=None)
@given(
    region=st.sampled_from(["110101", "430104", "430124", "440305", "650102"]),
    born=st.dates(min_value=date(1920, 1, 1), max_value=date(2020, 12, 31)),
    seq=st.integers(min_value=0, max_value=499),
    sex=st.sampled_from(["M", "F"]),
)
def test_a_generated_valid_citizen_id_never_fails_its_rules(region, born, seq, sex):
    number = citizen_id.make(region, born, seq, sex)
    assert plans.value_test("check", {"scheme": "citizen_id"})(number)
    # and the cross-field facts the SQL compares: birth date digits and the sex digit's parity
    assert number[6:14] == born.strftime("%Y%m%d")
    assert (int(number[16]) % 2 == 1) == (sex == "M")
    broken = number[:17] + ("0" if number[17] != "0" else "1")
    assert not plans.value_test("check", {"scheme": "citizen_id"})(broken)


@settings(max_examples=100, deadline=None)
@given(body=st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=8, max_size=8))
def test_a_generated_valid_credit_code_never_fails_its_check(body):
    code = credit_code.make("9", "1", "430104", body)
    assert plans.value_test("check", {"scheme": "credit_code"})(code)


def test_region_codes_are_judged_on_the_rule_date():
    before = plans.value_test("allowed", {"table": "gb2260", "on": "2017-04-08"})
    now = plans.value_test("allowed", {"table": "gb2260", "on": None})
    assert before("430124") and not now("430124") and now("430182")
    sex = plans.value_test("allowed", {"table": "gb2261.1"})
    assert sex("1") and sex("9") and not sex("3")


PATTERNS = [r"^1[3-9]\d{9}$", r"^\d{6}$", r"^.{3}$", r"^[A-C]{2}-\d{2}$", r"^a[^b]c$"]


@settings(max_examples=300, deadline=None)
@given(regex=st.sampled_from(PATTERNS), value=st.text(alphabet="0123456789abcABC-x中", max_size=12))
def test_a_format_rule_pushed_into_sql_agrees_with_python(regex, value):
    import re
    import sqlite3

    glob = plans.sql_pattern(regex)
    assert glob is not None
    conn = sqlite3.connect(":memory:")
    in_sql = conn.execute("SELECT ? GLOB ?", (value, glob)).fetchone()[0] == 1
    assert in_sql == (re.search(regex, value) is not None) == plans.regex_search(regex)(value)
    assert plans.sql_pattern(r"^(a|b)+$") is None and plans.sql_pattern(r"\d{6}") is None


@settings(max_examples=100, deadline=None)
@given(
    values=st.lists(
        st.one_of(st.none(), st.text(alphabet="0123456789", min_size=1, max_size=4)), max_size=300
    ),
    batch=st.integers(min_value=1, max_value=50),
)
def test_the_bounded_duplicate_search_never_misses_a_repeated_value(values, batch):
    from collections import Counter as Tally

    from zhicheng.quality import dupes

    found = dupes.Candidates(len(values))
    for at in range(0, len(values), batch):
        found.add(values[at : at + batch])
    repeated = {v for v, c in Tally(v for v in values if v is not None).items() if c > 1}
    assert repeated <= found.values and None not in found.values
