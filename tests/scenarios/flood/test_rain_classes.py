"""GB/T 28592-2012 rain classes at every boundary of its table 1 (12 h and 24 h), the hourly grades and 短时强降水,
rounding to 0.1 mm (GB/T 8170) before grading, and bad input named by its field."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhicheng.core.errors import Invalid
from zhicheng.scenarios.flood import rain

# (period, amount, class key): the last value of each class and the first of the next, as the table writes them
BOUNDARIES = [
    ("24h", 0, "none"), ("24h", 0.04, "trace"), ("24h", 0.1, "light"), ("24h", 9.9, "light"),
    ("24h", 10.0, "moderate"), ("24h", 24.9, "moderate"), ("24h", 25.0, "heavy"), ("24h", 49.9, "heavy"),
    ("24h", 50.0, "rainstorm"), ("24h", 99.9, "rainstorm"), ("24h", 100.0, "heavy_rainstorm"),
    ("24h", 249.9, "heavy_rainstorm"), ("24h", 250.0, "extreme_rainstorm"), ("24h", 800, "extreme_rainstorm"),
    ("12h", 0.05, "trace"), ("12h", 0.06, "light"), ("12h", 0.1, "light"), ("12h", 4.9, "light"), ("12h", 5.0, "moderate"),
    ("12h", 14.9, "moderate"), ("12h", 15.0, "heavy"), ("12h", 29.9, "heavy"), ("12h", 30.0, "rainstorm"),
    ("12h", 69.9, "rainstorm"), ("12h", 70.0, "heavy_rainstorm"), ("12h", 139.9, "heavy_rainstorm"),
    ("12h", 140.0, "extreme_rainstorm"),
    ("1h", 2.5, "light"), ("1h", 2.6, "moderate"), ("1h", 8.0, "moderate"), ("1h", 8.1, "heavy"),
    ("1h", 15.9, "heavy"), ("1h", 16.0, "rainstorm"), ("1h", 120, "rainstorm"),
]


@pytest.mark.parametrize(("period", "amount", "key"), BOUNDARIES)
def test_the_table_boundaries(period, amount, key):
    assert rain.grade(amount, period).rain_class.key == key


def test_names_and_short_duration_heavy_rain():
    storm = rain.grade(50, "24h")
    assert storm.rain_class.name == "暴雨" and storm.standard == "GB/T 28592-2012"
    assert rain.grade(0.05, "12h").rain_class.name == "微量降雨（零星小雨）"
    assert not rain.grade(19.9, "1h").short_duration_heavy and rain.grade(20, "1h").short_duration_heavy
    assert not rain.grade(25, "24h").short_duration_heavy  # a 1-hour notion only
    assert rain.grade(3, 24).period == "24h" and rain.grade(3, "12").period == "12h"


def test_totals_are_rounded_half_to_even_before_grading():
    assert rain.grade(9.95, "24h").amount == 10.0 and rain.grade(9.95, "24h").rain_class.key == "moderate"  # 9.95 →10.0
    assert rain.grade(49.85, "24h").amount == 49.8 and rain.grade(49.85, "24h").rain_class.key == "heavy"  # →49.8
    assert rain.grade(49.95, "24h").rain_class.key == "rainstorm"  # → 50.0


@pytest.mark.parametrize(("amount", "period", "field"), [(-1, "24h", "amount"), (float("nan"), "24h", "amount"),
                                                         ("abc", "24h", "amount"), (5, "6h", "period"),
                                                         (5, "", "period"), (5, None, "period")])
def test_bad_input_names_its_field(amount, period, field):
    with pytest.raises(Invalid) as err:
        rain.grade(amount, period)
    assert err.value.field == field


def _expected(period: str, tenths: int) -> str:
    """The class of tenths/10 mm read straight off the table (lower bounds inclusive)."""
    key = "none" if tenths == 0 else "trace"
    for cls, low in rain.THRESHOLDS[period]:
        if Decimal(tenths) / 10 >= Decimal(low.numerator) / low.denominator:
            key = cls.key
    return key


@settings(max_examples=30, deadline=None)
@given(period=st.sampled_from(["1h", "12h", "24h"]), tenths=st.integers(min_value=0, max_value=4000))
def test_any_total_in_tenths_gets_its_tables_class_and_a_larger_total_never_a_lower_one(period, tenths):
    graded = rain.grade(Decimal(tenths) / 10, period)
    assert graded.rain_class.key == _expected(period, tenths)
    assert rain.grade(Decimal(tenths + 1) / 10, period).rain_class.rank >= graded.rain_class.rank
