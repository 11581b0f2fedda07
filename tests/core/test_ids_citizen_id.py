"""GB 11643 citizen ID numbers: the standard's example, every failure class, 15 -> 18, generated round trips."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from zhicheng.core import clock
from zhicheng.core.errors import Invalid
from zhicheng.core.ids import citizen_id, regions

EXAMPLE = "11010519491231002X"  # GB 11643-1999's example


def test_standard_example_is_valid():
    info = citizen_id.parse(EXAMPLE)
    assert info.number == EXAMPLE and info.check == "X"
    assert info.birth_date == date(1949, 12, 31)
    assert info.sex == "F" and info.sequence == "002"
    assert info.region_code == "110105" and info.region_path == ["北京市", "朝阳区"]
    assert not info.region_retired and info.region_valid_at_birth
    assert citizen_id.is_valid(EXAMPLE)


def test_lower_case_x_and_spaces_are_accepted():
    assert citizen_id.parse(" 11010519491231002x ").number == EXAMPLE
    assert citizen_id.is_valid("11010519491231002x")


def test_check_digit_algorithm():
    assert citizen_id.WEIGHTS == (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    assert citizen_id.check_char("11010519491231002") == "X"


def _error(value) -> Invalid:
    with pytest.raises(Invalid) as info:
        citizen_id.parse(value)
    assert info.value.field == "value" and info.value.status == 422
    assert not citizen_id.is_valid(value)
    return info.value


@pytest.mark.parametrize(("value", "zh", "en"), [
    ("1101051949", "应为 18 位", "has 18 characters"),
    ("11010519491231002X1", "实际 19 位", "got 19"),
    ("1101051949123100AX", "第 17 位是“A”", "character 17 is 'A'"),
    ("11010519491231002Y", "只能是数字或 X", "must be a digit or X"),
    ("１１０１０５１９４９１２３１００２X", "只能是数字", "must be digits"),
    ("110105194902300021", "19490230 不是有效日期", "not a real date"),
    ("110105189912310021", "早于 1900 年", "before 1900"),
    ("999999194912310021", "地址码 999999", "region code 999999"),
    ("110105194912310021", "第 18 位应为 X，实际为 1", "should be X, got 1"),
    ("11010549123100A", "15 位身份证号码只能由数字组成", "digits only"),
])
def test_each_failure_says_what_is_wrong(value, zh, en):
    err = _error(value)
    assert zh in err.zh and en in err.en


def test_birth_date_in_the_future_is_rejected():
    tomorrow = clock.now().date() + timedelta(days=1)
    first17 = f"110105{tomorrow:%Y%m%d}002"
    err = _error(first17 + citizen_id.check_char(first17))
    assert "在未来" in err.zh and "future" in err.en


def test_not_text_is_invalid_not_a_crash():
    assert _error(110105194912310021).en == "the citizen ID number must be text"
    assert not citizen_id.is_valid(None)


def test_legacy_15_digit_number_converts_to_18():
    legacy = "110105491231002"
    info = citizen_id.parse(legacy)
    assert info.number == EXAMPLE and info.legacy == legacy
    assert citizen_id.upgrade(legacy) == EXAMPLE
    assert citizen_id.is_valid(legacy)
    assert not citizen_id.is_valid(legacy, legacy=False)
    _error("110105490230002")  # 1949-02-30


def test_retired_region_code_valid_at_birth():
    # 宁乡县 430124 became 宁乡市 430182 on 2017-04-09; people born there before keep 430124
    number = citizen_id.make("430124", date(1990, 5, 17), 12, "M")
    info = citizen_id.parse(number)
    assert info.region_retired and info.region_valid_at_birth
    assert info.region_name == "宁乡县" and info.region_path == ["湖南省", "长沙市", "宁乡县"]
    assert citizen_id.is_valid(number)


def test_retired_region_code_not_yet_valid_at_birth_is_still_accepted():
    number = citizen_id.make("430182", date(1990, 5, 17), 3, "F")
    info = citizen_id.parse(number)
    assert not info.region_retired and not info.region_valid_at_birth
    assert info.region_name == "宁乡市"


def test_make_rejects_bad_parts():
    with pytest.raises(Invalid) as err:
        citizen_id.make("999999", date(1990, 1, 1), 1, "M")
    assert err.value.field == "region_code"
    with pytest.raises(Invalid):
        citizen_id.make("430102", date(1890, 1, 1), 1, "M")
    with pytest.raises(Invalid):
        citizen_id.make("430102", date(1990, 1, 1), 500, "M")
    with pytest.raises(Invalid) as err:
        citizen_id.make("430102", date(1990, 1, 1), 1, "X")
    assert err.value.field == "sex"


COUNTIES = sorted(c for c in regions.all_codes() if c[4:] != "00")


@settings(max_examples=300, deadline=None)
@given(region=st.sampled_from(COUNTIES), birth=st.dates(date(1900, 1, 1), date(2024, 12, 31)),
       seq=st.integers(0, 499), sex=st.sampled_from(["M", "F"]))
def test_generated_numbers_round_trip(region, birth, seq, sex):
    number = citizen_id.make(region, birth, seq, sex)
    info = citizen_id.parse(number)
    assert (info.region_code, info.birth_date, info.sex) == (region, birth, sex)
    assert citizen_id.is_valid(number)


@settings(max_examples=300, deadline=None)
@given(birth=st.dates(date(1900, 1, 1), date(1999, 12, 31)), seq=st.integers(0, 499),
       position=st.integers(0, 17), digit=st.sampled_from("0123456789X"))
def test_any_single_change_is_caught(birth, seq, position, digit):
    number = citizen_id.make("430102", birth, seq, "F")
    changed = number[:position] + digit + number[position + 1:]
    if changed != number:
        assert not citizen_id.is_valid(changed)
        with pytest.raises(Invalid):
            citizen_id.parse(changed)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(alphabet="0123456789Xx", min_size=14, max_size=19), st.text(max_size=20)),
       st.sampled_from([EXAMPLE, "430124199005170242", "110105491231002"]))
def test_fast_check_agrees_with_parse(noise, base):
    for value in (noise, base[:len(noise)] + noise[len(base):], noise[:6] + base[6:]):
        assume(value == value.strip() and " " not in value)
        try:
            citizen_id.parse(value)
            parsed = True
        except Invalid:
            parsed = False
        assert citizen_id.is_valid(value) == parsed, value
