"""Properties of the AQI whatever the concentrations: each IAQI grows with its concentration, the AQI is the largest
IAQI, the level is the one Table 2 gives that AQI, and the primary pollutants are exactly those at the AQI."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from zhicheng.scenarios.environment import aqi

# up to past the top of every column (CO in mg/m³ to 0.1, the others to 1 µg/m³, and some in between)
CONC = st.one_of(st.none(), st.integers(0, 4000), st.floats(0, 4000, allow_nan=False, allow_infinity=False))
CAPPED = {"so2": aqi.SO2_1H_CEILING, "o3_8h": aqi.O3_8H_CEILING}  # not indexed above (HJ 633 Table 1 notes 2, 3)


def _indexable(values: dict) -> bool:
    """Whether at least one value will have an index (else the report is an error, tested elsewhere)."""
    return any(v is not None and v <= CAPPED.get(k, float("inf")) for k, v in values.items())


HOUR = st.fixed_dictionaries({k: CONC for k in aqi.HOURLY}).filter(_indexable)
DAY = st.fixed_dictionaries({k: CONC for k in aqi.DAILY}).filter(_indexable)


def _check(result: aqi.AqiResult) -> None:
    indexed = {k: s.iaqi for k, s in result.pollutants.items() if s.iaqi is not None}
    assert result.aqi == max(indexed.values())
    assert 0 <= result.aqi <= 500
    lv = aqi.level_of(result.aqi)
    assert (result.level, result.category, result.rgb) == (lv.level, lv.category, lv.rgb)
    assert lv.low <= result.aqi and (lv.high is None or result.aqi <= lv.high)
    expected_primary = [k for k, v in indexed.items() if v == result.aqi] if result.aqi > 50 else []
    assert result.primary_pollutants == expected_primary
    assert set(result.exceedances) == {k for k, v in indexed.items() if v > 100}
    assert set(result.missing) | set(result.pollutants) == set(aqi.REPORTS[result.kind])


@settings(max_examples=300, deadline=None)
@given(HOUR)
def test_hourly_reports_are_consistent(values):
    _check(aqi.calculate("hour", values))


@settings(max_examples=300, deadline=None)
@given(DAY)
def test_daily_reports_are_consistent(values):
    _check(aqi.calculate("day", values))


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(sorted(aqi.TABLE)), st.floats(0, 4000, allow_nan=False), st.floats(0, 4000, allow_nan=False))
def test_each_iaqi_grows_with_its_concentration(column, a, b):
    low, high = sorted((a, b))
    top = aqi.TABLE[column].limits[-1]
    if len(aqi.TABLE[column].limits) < len(aqi.IAQI_STEPS):  # SO2 1-hour and O3 8-hour stop at 800
        low, high = min(low, top), min(high, top)
    assert aqi.iaqi(column, low)[0] <= aqi.iaqi(column, high)[0]


@settings(max_examples=300, deadline=None)
@given(HOUR, st.sampled_from(sorted(aqi.HOURLY)), st.integers(0, 500))
def test_more_of_one_pollutant_never_lowers_the_aqi(values, key, extra):
    before = aqi.calculate("hour", values)
    if values[key] is None:
        return
    more = dict(values, **{key: values[key] + extra})
    if key == "so2" and more[key] > aqi.SO2_1H_CEILING:  # note (2): the index moves to the 24-hour mean
        return
    assert aqi.calculate("hour", more).aqi >= before.aqi
