"""GB 32100 unified social credit codes: the standard's example, every failure class, legacy mode, round trips."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhicheng.core.errors import Invalid
from zhicheng.core.ids import credit_code, regions

EXAMPLE = "91350100M000100Y43"  # GB 32100-2015's example


def test_standard_example_is_valid():
    info = credit_code.parse(EXAMPLE)
    assert info.authority == "9" and info.authority_name == ("工商", "industry and commerce")
    assert info.org_type == "1" and info.org_type_name[0] == "企业"
    assert info.region_code == "350100" and info.region_path == ["福建省", "福州市"]
    assert info.org_code == "M000100Y-4" and info.check == "3"
    assert info.warnings == []
    assert credit_code.is_valid(EXAMPLE)


def test_algorithms():
    assert credit_code.ALPHABET == "0123456789ABCDEFGHJKLMNPQRTUWXY"
    assert not set("IOZSV") & set(credit_code.ALPHABET)
    assert credit_code.org_check_char("M000100Y") == "4"
    assert credit_code.check_char("91350100M000100Y4") == "3"


def test_lower_case_and_spaces_are_normalised():
    assert credit_code.parse(" 91350100m000100y43 ").code == EXAMPLE


def _error(value, **kwargs) -> Invalid:
    with pytest.raises(Invalid) as info:
        credit_code.parse(value, **kwargs)
    assert info.value.field == "value" and info.value.status == 422
    assert not credit_code.is_valid(value)
    return info.value


@pytest.mark.parametrize(("value", "zh", "en"), [
    ("91350100M000100Y4", "应为 18 位", "got 17"),
    ("91350100M000100I43", "第 16 位“I”", "character 16 'I'"),
    ("91350100M000100O43", "不在代码字符集中", "not allowed"),
    ("B1350100M000100Y43", "登记管理部门代码“B”无效", "registration authority 'B'"),
    ("94350100M000100Y43", "机构类别代码“4”", "organisation type '4'"),
    ("14350100M000100Y43", "对登记管理部门 1（机构编制）无效", "not valid for authority 1"),
    ("91999999M000100Y43", "区划码 999999", "region code 999999"),
    ("91350100M000100Y53", "第 17 位应为 4，实际为 5", "character 17 should be 4, got 5"),
    ("91350100M000100Y44", "第 18 位应为 3，实际为 4", "character 18 should be 3, got 4"),
])
def test_each_failure_says_what_is_wrong(value, zh, en):
    err = _error(value)
    assert zh in err.zh and en in err.en


def test_not_text_is_invalid():
    assert "text" in _error(None).en
    assert not credit_code.is_valid(12345)


def test_legacy_checksum_fault_is_an_error_by_default_and_a_warning_in_warn_mode():
    legacy = "91350100M000100Y44"
    _error(legacy)
    info = credit_code.parse(legacy, legacy="warn")
    assert info.code == legacy
    assert len(info.warnings) == 1 and "应为 3" in info.warnings[0]["zh"] and "should be 3" in info.warnings[0]["en"]
    assert not credit_code.is_valid(legacy)


def test_warn_mode_still_rejects_what_no_lawful_code_has():
    _error("B1350100M000100Y44", legacy="warn")
    _error("91999999M000100Y43", legacy="warn")
    with pytest.raises(Invalid) as err:
        credit_code.parse(EXAMPLE, legacy="maybe")
    assert err.value.field == "legacy"


def test_national_authority_region_and_retired_region():
    code = credit_code.make("1", "1", "100000", "00001234")
    assert credit_code.parse(code).region_path == ["全国"]
    old = credit_code.parse(credit_code.make("9", "2", "430124", "L1234567"))
    assert old.region_retired and old.region_path[-1] == "宁乡县"


def test_make_rejects_bad_parts():
    for kwargs, field in [
        ({"authority": "B", "org_type": "1", "region_code": "430100", "body": "MA4L0000"}, "authority"),
        ({"authority": "9", "org_type": "9", "region_code": "430100", "body": "MA4L0000"}, "org_type"),
        ({"authority": "9", "org_type": "1", "region_code": "999999", "body": "MA4L0000"}, "region_code"),
        ({"authority": "9", "org_type": "1", "region_code": "430100", "body": "MA4LO000"}, "body"),
    ]:
        with pytest.raises(Invalid) as err:
            credit_code.make(**kwargs)
        assert err.value.field == field


PAIRS = sorted((a, t) for a, (_zh, _en, types) in credit_code.AUTHORITIES.items() for t in types)
CODES = sorted(regions.all_codes())


@settings(max_examples=300, deadline=None)
@given(pair=st.sampled_from(PAIRS), region=st.sampled_from(CODES),
       body=st.text(alphabet=credit_code.ALPHABET, min_size=8, max_size=8))
def test_generated_codes_round_trip(pair, region, body):
    code = credit_code.make(pair[0], pair[1], region, body)
    info = credit_code.parse(code)
    assert (info.authority, info.org_type, info.region_code, info.org_code[:8]) == (*pair, region, body)
    assert credit_code.is_valid(code)


@settings(max_examples=300, deadline=None)
@given(body=st.text(alphabet=credit_code.ALPHABET, min_size=8, max_size=8),
       position=st.integers(0, 17), char=st.sampled_from(credit_code.ALPHABET))
def test_any_single_change_is_caught(body, position, char):
    code = credit_code.make("9", "1", "430100", body)
    changed = code[:position] + char + code[position + 1:]
    if changed != code:
        assert not credit_code.is_valid(changed)
        with pytest.raises(Invalid):
            credit_code.parse(changed)
