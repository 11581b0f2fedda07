"""Masking for a "mask" decision: enough stays to recognise a record, never enough to identify the person."""

from __future__ import annotations

import pytest

from zhicheng.policy.masking import MASKS, mask, mask_middle, mask_row


@pytest.mark.parametrize(("kind", "value", "masked"), [
    ("citizen_id", "430102199003071234", "430102********1234"),
    ("citizen_id", "43010219900307123X", "430102********123X"),
    ("mobile", "13800138000", "138****8000"),
    ("mobile", "+86 138-0013-8000", "+86138****8000"),
    ("phone", "0731-88888888", "073******8888"),
    ("name", "张三", "张*"),
    ("name", "王小明", "王**"),
    ("name", "欧阳娜娜", "欧阳**"),
    ("name", "Li Lei", "L* L**"),
    ("address", "长沙市岳麓区麓山南路932号", "长沙市岳麓区****"),
    ("address", "湖南省长沙市天心区坡子街街道某某小区3栋2单元", "湖南省长沙市天心区坡子街街道****"),
    ("address", "麓山南路932号", "麓山南路93****"),
    ("email", "zhangsan@changsha.gov.cn", "z***@changsha.gov.cn"),
    ("bank_card", "6222 0200 1234 5678 901", "622202*********8901"),
    ("credit_code", "92430104MA4PXXXX1X", "92430104********1X"),
    ("default", "ABCDEFGH", "AB****GH"),
    (None, "秘密", "**"),
    ("no-such-kind", "1234", "1**4"),
])
def test_masks(kind, value, masked):
    assert mask(value, kind) == masked


def test_the_length_of_what_is_hidden_is_kept_and_nothing_is_revealed():
    for kind in MASKS:
        for value in ("430102199003071234", "张三", "x", "13800138000", "a@b.c"):
            out = mask(value, kind)
            assert out != value or len(value) <= 1 and out == "*", (kind, value, out)
            assert "*" in out


def test_empty_and_missing_values_stay_as_they_are():
    assert mask(None, "citizen_id") is None and mask("", "name") == ""
    assert mask(13800138000, "mobile") == "138****8000"


def test_short_values_never_show_both_ends():
    assert mask_middle("ab", 1, 1) == "a*" and mask_middle("a", 1, 1) == "*" and mask_middle("abc", 2, 2) == "a**"


def test_a_row_is_masked_column_by_column():
    row = {"xm": "张三", "sfzh": "430102199003071234", "nl": 36}
    assert mask_row(row, {"xm": "name", "sfzh": "citizen_id"}) == {"xm": "张*", "sfzh": "430102********1234",
                                                                    "nl": 36}
    assert row["xm"] == "张三"
