"""Masking for a "mask" decision: one kind per data item, one masker per kind driven by the rules in force; enough
stays to recognise a record, never enough to identify the person."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from zhicheng.policy import masking
from zhicheng.policy.masking import DEFAULT_RULES, KINDS, kind_of, make_rules


def item(label: str, name: str = "x", check: str | None = None, personal: bool = True) -> SimpleNamespace:
    return SimpleNamespace(label=label, name=name, check=check, personal=personal, sensitivity="general")


@pytest.mark.parametrize(("it", "kind"), [
    (item("公民身份号码", check="citizen_id"), "citizen_id"),
    (item("法人身份证号"), "citizen_id"),
    (item("统一社会信用代码", check="credit_code"), "credit_code"),
    (item("企业信用代码"), "credit_code"),
    (item("联系人手机", check="mobile"), "mobile"),
    (item("联系电话"), "mobile"),
    (item("姓名"), "name"),
    (item("住址"), "address"),
    (item("电子邮箱地址"), "email"),
    (item("银行卡号"), "bank_card"),
    (item("居住地坐标"), "coordinates"),
    (item("经度", check="region_code"), "coordinates"),
    (item("备注"), "default"),
])
def test_one_kind_per_item_whatever_door_asks(it, kind):
    assert kind_of(it) == kind


@pytest.mark.parametrize(("kind", "value", "masked"), [
    ("citizen_id", "430102199003071234", "4301**********1234"),
    ("citizen_id", "4301 0219 9003 0712 3X", "4301**********123X"),
    ("mobile", "13800138000", "138****8000"),
    ("name", "张三", "张*"),
    ("name", "欧阳娜娜", "欧***"),
    ("address", "长沙市岳麓区麓山南路932号", "长沙市岳麓区****"),
    ("address", "湖南省长沙市天心区坡子街街道某某小区3栋2单元", "湖南省长沙市天心区坡子街街道****"),
    ("email", "zhangsan@changsha.gov.cn", "z***@changsha.gov.cn"),
    ("bank_card", "6222 0200 1234 5678 901", "***************8901"),
    ("credit_code", "92430104MA4PXXXX1X", "92430104********1X"),
    ("coordinates", "112.938861,28.227781", "112.94,28.23"),
    ("default", "ABCDEFGH", "A******H"),
    ("no-such-kind", "1234", "1**4"),
])
def test_the_default_rules_mask_each_kind(kind, value, masked):
    assert DEFAULT_RULES.mask(value, kind) == masked


def test_nothing_is_revealed_and_missing_values_stay_as_they_are():
    for kind in KINDS:
        if kind == "coordinates":
            continue
        for value in ("430102199003071234", "张三", "x", "13800138000", "a@b.c"):
            out = DEFAULT_RULES.mask(value, kind)
            assert out != value and "*" in out, (kind, value, out)
    assert DEFAULT_RULES.mask(None, "citizen_id") is None and DEFAULT_RULES.mask("", "name") == ""
    assert DEFAULT_RULES.mask(13800138000, "mobile") == "138****8000"


def test_rules_have_a_version_that_follows_their_parameters():
    edited = make_rules({"citizen_id": {"keep_first": 6}})
    assert edited.version != DEFAULT_RULES.version == make_rules({}).version
    assert edited.mask("430102199003071234", "citizen_id") == "430102********1234"
    column = ["430102199003071234", None, "", " 43010219900307123X "]
    assert edited.column_masker("citizen_id")(column) == [edited.mask(v, "citizen_id") for v in column]


def test_the_decision_masks_personal_and_graded_items_unless_plain():
    items = [item("姓名", "xm"), item("备注", "bz", personal=False)]
    graded = SimpleNamespace(label="金额", name="je", check=None, personal=False, sensitivity="important")
    assert masking.field_masks(None, None, [*items, graded]) == {"xm": "name", "je": "default"}
    assert masking.field_masks(None, None, [*items, graded], plain=["xm"]) == {"je": "default"}
