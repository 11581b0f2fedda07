"""HJ 633-2012 AQI as CNEMC publishes it: every limit of Table 1, the values between them, the table's notes, the
levels of Table 2, and real hourly reports of CNEMC's stations computed back from their published concentrations."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from zhicheng.core.errors import Invalid
from zhicheng.scenarios.environment import aqi

STEPS = aqi.IAQI_STEPS


@pytest.mark.parametrize("column", sorted(aqi.TABLE))
def test_every_limit_of_table_1_is_its_iaqi(column):
    for limit, expected in zip(aqi.TABLE[column].limits, STEPS, strict=False):
        assert aqi.iaqi(column, limit) == (expected, False), (column, limit)


@pytest.mark.parametrize("column", sorted(aqi.TABLE))
def test_between_two_limits_the_index_is_interpolated_and_rounded_up(column):
    limits = aqi.TABLE[column].limits
    for i in range(1, len(limits)):
        lo, hi = limits[i - 1], limits[i]
        mid = Fraction(lo + hi, 2)
        assert aqi.iaqi(column, mid) == (math.ceil(Fraction(STEPS[i - 1] + STEPS[i], 2)), False)
        # strictly between two limits the index is above the lower one's (rounded up) and at most the upper one's
        step = Fraction(1, 10) if aqi.TABLE[column].decimals else 1
        for c in (lo + step, hi - step):
            assert STEPS[i - 1] < aqi.iaqi(column, c)[0] <= STEPS[i], (column, c)


def test_the_table_is_the_standards():
    """HJ 633-2012 Table 1, column by column (SO2 1-hour stops at 800, O3 8-hour at 800)."""
    assert aqi.TABLE["so2_24h"].limits == (0, 50, 150, 475, 800, 1600, 2100, 2620)
    assert aqi.TABLE["so2_1h"].limits == (0, 150, 500, 650, 800)
    assert aqi.TABLE["no2_24h"].limits == (0, 40, 80, 180, 280, 565, 750, 940)
    assert aqi.TABLE["no2_1h"].limits == (0, 100, 200, 700, 1200, 2340, 3090, 3840)
    assert aqi.TABLE["pm10_24h"].limits == (0, 50, 150, 250, 350, 420, 500, 600)
    assert aqi.TABLE["co_24h"].limits == (0, 2, 4, 14, 24, 36, 48, 60)
    assert aqi.TABLE["co_1h"].limits == (0, 5, 10, 35, 60, 90, 120, 150)
    assert aqi.TABLE["o3_1h"].limits == (0, 160, 200, 300, 400, 800, 1000, 1200)
    assert aqi.TABLE["o3_8h"].limits == (0, 100, 160, 215, 265, 800)
    assert aqi.TABLE["pm25_24h"].limits == (0, 35, 75, 115, 150, 250, 350, 500)
    assert aqi.TABLE["co_1h"].unit == aqi.TABLE["co_24h"].unit == "mg/m³"


def test_worked_values_rounded_up_exactly():
    assert aqi.iaqi("pm25_24h", 39) == (55, False)  # 50 + 4 × 50/40
    assert aqi.iaqi("o3_1h", 189) == (87, False)  # 86.25 → 87: rounded up, not to nearest
    assert aqi.iaqi("pm25_24h", 138) == (183, False)  # 182.86
    assert aqi.iaqi("co_1h", Fraction(13, 10)) == (13, False)  # exactly 13 (a binary float would make it 14)
    assert aqi.calculate("hour", {"co": 1.3}).aqi == 13
    assert aqi.calculate("hour", {"co": 0.7}).pollutants["co"].iaqi == 7


def test_above_the_table_the_index_is_500_and_said():
    assert aqi.iaqi("pm25_24h", 500) == (500, False)
    assert aqi.iaqi("pm25_24h", 501) == (500, True)
    assert aqi.iaqi("co_24h", 1000) == (500, True)
    r = aqi.calculate("day", {"pm25": 886, "pm10": 700})  # Beijing, January 2013, was reported 500 ("爆表")
    assert r.aqi == 500 and r.level == 6 and r.category == "严重污染"
    assert r.pollutants["pm25"].above_table and r.primary_pollutants == ["pm10", "pm25"]
    assert any("500" in n["zh"] for n in r.notes)
    assert aqi.calculate("hour", {"pm25": 1e308}).aqi == 500  # no overflow on the way


def test_so2_above_800_in_an_hour_is_not_indexed_and_its_24_hour_mean_is():
    """HJ 633 Table 1 note (2)."""
    r = aqi.calculate("hour", {"so2": 801, "so2_24h": 500, "pm25": 30})
    so2 = r.pollutants["so2"]
    assert so2.column == "so2_24h" and so2.averaging == "24h" and so2.iaqi == 154 and so2.used == 500
    assert r.aqi == 154 and r.primary_pollutants == ["so2"] and r.exceedances == ["so2"]
    at_800 = aqi.calculate("hour", {"so2": 800, "so2_24h": 500})
    assert at_800.pollutants["so2"].column == "so2_1h" and at_800.aqi == 200  # 800 itself is indexed
    assert any("24小时平均" in n["zh"] and "未使用" in n["zh"] for n in at_800.notes)
    alone = aqi.calculate("hour", {"so2": 1200, "pm25": 30})  # no 24-hour mean: SO2 has no index
    assert alone.pollutants["so2"].iaqi is None and alone.not_computed == ["so2"] and alone.aqi == 43
    with pytest.raises(Invalid) as exc:
        aqi.calculate("hour", {"so2": 1200})
    assert exc.value.field == "so2_24h"


def test_o3_8h_above_800_in_a_day_is_not_indexed_and_the_1_hour_value_is():
    """HJ 633 Table 1 note (3)."""
    r = aqi.calculate("day", {"o3_8h": 850, "o3_1h": 900, "pm25": 40})
    assert r.pollutants["o3_8h"].iaqi is None and r.not_computed == ["o3_8h"]
    assert r.pollutants["o3_1h"].iaqi == 350 and r.aqi == 350 and r.primary_pollutants == ["o3_1h"]
    assert aqi.calculate("day", {"o3_8h": 800}).aqi == 300
    with pytest.raises(Invalid) as exc:
        aqi.calculate("day", {"o3_8h": 801})
    assert exc.value.field == "o3_1h"


def test_the_daily_report_reads_24_hour_limits_and_both_ozone_values():
    r = aqi.calculate("day", {"so2": 150, "no2": 80, "co": 4, "pm10": 150, "pm25": 75, "o3_1h": 200, "o3_8h": 160})
    assert {k: s.iaqi for k, s in r.pollutants.items()} == {
        "so2": 100, "no2": 100, "co": 100, "o3_1h": 100, "o3_8h": 100, "pm10": 100, "pm25": 100}
    assert r.aqi == 100 and len(r.primary_pollutants) == 7 and r.exceedances == []
    assert [r.pollutants[k].column for k in ("so2", "no2", "co")] == ["so2_24h", "no2_24h", "co_24h"]
    hour = aqi.calculate("hour", {"so2": 150, "no2": 80, "co": 4})  # the same numbers, read as 1-hour values
    assert {k: s.iaqi for k, s in hour.pollutants.items()} == {"so2": 50, "no2": 40, "co": 40}


def test_primary_pollutants_only_above_50_and_all_of_a_tie():
    assert aqi.calculate("hour", {"pm25": 35, "pm10": 50}).primary_pollutants == []  # AQI 50: none
    tie = aqi.calculate("hour", {"pm25": 55, "pm10": 100, "no2": 63})
    assert tie.aqi == 75 and tie.primary_pollutants == ["pm10", "pm25"]
    assert tie.primary_names == ["颗粒物(PM10)", "细颗粒物(PM2.5)"]


def test_exceedances_are_the_pollutants_above_iaqi_100_worst_first():
    r = aqi.calculate("hour", {"pm25": 76, "pm10": 250, "o3": 200, "no2": 201})
    assert {k: s.iaqi for k, s in r.pollutants.items()} == {"no2": 101, "o3": 100, "pm10": 150, "pm25": 102}
    assert r.exceedances == ["pm10", "pm25", "no2"]


@pytest.mark.parametrize(("index", "level", "category", "rgb"), [
    (0, 1, "优", (0, 228, 0)), (50, 1, "优", (0, 228, 0)), (51, 2, "良", (255, 255, 0)), (100, 2, "良", (255, 255, 0)),
    (101, 3, "轻度污染", (255, 126, 0)), (150, 3, "轻度污染", (255, 126, 0)), (151, 4, "中度污染", (255, 0, 0)),
    (200, 4, "中度污染", (255, 0, 0)), (201, 5, "重度污染", (153, 0, 76)), (300, 5, "重度污染", (153, 0, 76)),
    (301, 6, "严重污染", (126, 0, 35)), (500, 6, "严重污染", (126, 0, 35))])
def test_levels_categories_and_colours_of_table_2_and_appendix_a(index, level, category, rgb):
    lv = aqi.level_of(index)
    assert (lv.level, lv.category, lv.rgb) == (level, category, rgb)
    assert lv.name == "一二三四五六"[level - 1] + "级"


def test_the_health_advice_is_the_standards_text():
    assert aqi.level_of(40).advice == "各类人群可正常活动"
    assert aqi.level_of(120).health_effect == "易感人群症状有轻度加剧，健康人群出现刺激症状"
    assert aqi.level_of(350).advice == "儿童、老年人和病人应当留在室内，避免体力消耗，一般人群应避免户外活动"
    assert [lv.hex for lv in aqi.LEVELS] == ["#00E400", "#FFFF00", "#FF7E00", "#FF0000", "#99004C", "#7E0023"]
    assert all(lv.advice_en and lv.health_effect_en for lv in aqi.LEVELS)


def test_missing_pollutants_are_named_and_the_aqi_is_of_the_others():
    r = aqi.calculate("hour", {"pm25": 80, "no2": None})
    assert r.missing == ["so2", "no2", "co", "o3", "pm10"] and r.aqi == 107
    assert "缺少" in r.notes[-1]["zh"] and "二氧化氮" in r.notes[-1]["zh"]
    full = aqi.calculate("day", {"so2": 1, "no2": 1, "co": 0.1, "o3_1h": 1, "o3_8h": 1, "pm10": 1, "pm25": 1})
    assert full.missing == [] and full.aqi == 3  # CO 0.1 mg/m³: 2.5 → 3


@pytest.mark.parametrize(("given", "field", "code"), [
    ({"pm25": -1}, "pm25", "negative"), ({"pm25": float("nan")}, "pm25", "not_finite"),
    ({"co": float("inf")}, "co", "not_finite"), ({"o3": "abc"}, "o3", "not_a_number"), ({"so2": True}, "so2", "not_a_number"),
    ({"o3_8h": 10}, "o3_8h", "unknown_pollutant"), ({"pm1": 3}, "pm1", "unknown_pollutant"),
])
def test_a_bad_value_is_an_error_naming_the_pollutant(given, field, code):
    with pytest.raises(Invalid) as exc:
        aqi.calculate("hour", {"pm10": 40, **given})
    assert (exc.value.field, exc.value.code) == (field, code)
    assert exc.value.zh and exc.value.en


def test_nothing_given_or_a_wrong_kind_is_an_error():
    with pytest.raises(Invalid) as exc:
        aqi.calculate("hour", {"pm25": None})
    assert exc.value.code == "no_pollutant" and {e["field"] for e in exc.value.errors} == set(aqi.HOURLY)
    with pytest.raises(Invalid) as exc:
        aqi.calculate("week", {"pm25": 3})
    assert exc.value.field == "kind"
    with pytest.raises(Invalid) as exc:
        aqi.calculate("day", {"o3": 3})
    assert exc.value.field == "o3" and "o3_8h" in exc.value.zh


def test_concentrations_enter_the_table_as_published():
    """CNEMC publishes µg/m³ as integers and CO to 0.1 mg/m³, rounded half to even (GB/T 8170), and indexes those."""
    r = aqi.calculate("hour", {"pm25": 75.4, "co": 1.25, "no2": 100.5})
    assert (r.pollutants["pm25"].used, r.pollutants["pm25"].iaqi) == (75, 100)
    assert r.pollutants["pm25"].concentration == 75.4
    assert r.pollutants["co"].used == 1.2 and r.pollutants["no2"].used == 100  # 五成双
    assert aqi.calculate("hour", {"no2": 101.5}).pollutants["no2"].used == 102


# CNEMC's real-time reports: the national hourly station data as CNEMC published it, archived by HeQinWill/CNEMC
# on GitHub (Archive/2022-01-01/2022-01-01T08.csv and Archive/2022-06-20/2022-06-20T21.csv). Each row: station,
# its published primary pollutants and AQI, and its 1-hour SO2, NO2, CO (mg/m³), O3, PM10, PM2.5. The archive's
# O3 columns are labelled the other way round: the current 1-hour value is the one under `o3_24h` (the rows whose
# primary pollutant is 臭氧1小时 give their AQI only from it), which is the one used here.
CNEMC_HOURLY = [
    # 2022-01-01 08:00
    ("万寿西宫", "细颗粒物(PM2.5)", 55, 6, 66, 1.0, 0, 55, 39),
    ("西南高教", "颗粒物(PM10),细颗粒物(PM2.5)", 75, 11, 63, 1.3, 5, 100, 55),
    ("勤俭道", "细颗粒物(PM2.5)", 148, 14, 79, 1.7, 3, 173, 113),
    ("虹口", "", 42, 3, 84, 0.6, 6, 28, 11),
    ("电机北厂", "细颗粒物(PM2.5)", 183, 20, 60, 1.3, 4, 168, 138),
    ("岭北(对照点)", "颗粒物(PM10)", 68, 43, 35, 0.1, 43, 85, 44),
    ("松北商大", "细颗粒物(PM2.5)", 102, 39, 51, 1.0, 22, 58, 76),
    # 2022-06-20 21:00
    ("东四", "臭氧1小时", 122, 2, 28, 1.0, 244, 102, 43),
    ("官园", "臭氧1小时", 120, 4, 24, 1.3, 239, 105, 43),
    ("海淀万柳", "臭氧1小时", 87, 3, 36, 1.0, 189, 103, 43),
    ("奥体中心", "臭氧1小时", 106, 3, 34, 0.8, 211, 97, 51),
    ("天坛", "颗粒物(PM10)", 71, 1, 30, 0.9, 146, 91, 41),
    ("汉北路", "", 49, 5, 28, 0.4, 66, 49, 32),
    ("东污水处理厂", "臭氧1小时", 90, 4, 16, 0.5, 192, 51, 24),
    ("沧县城建局", "颗粒物(PM10)", 103, 7, 52, 0.8, 111, 156, 75),
    ("北华航天学院", "细颗粒物(PM2.5)", 110, 8, 42, 0.9, 157, 148, 83),
    ("游泳馆", "细颗粒物(PM2.5)", 113, 6, 54, None, 182, 119, 85),  # CO not reported that hour
]


@pytest.mark.parametrize(("station", "primary", "published", "so2", "no2", "co", "o3", "pm10", "pm25"), CNEMC_HOURLY)
def test_cnemc_hourly_reports_are_computed_back(station, primary, published, so2, no2, co, o3, pm10, pm25):
    r = aqi.calculate("hour", {"so2": so2, "no2": no2, "co": co, "o3": o3, "pm10": pm10, "pm25": pm25})
    assert r.aqi == published, station
    assert ",".join(r.primary_names) == primary, station


def test_the_real_time_aqi_leaves_the_8_hour_ozone_mean_out():
    """海淀万柳, 2022-06-20 21:00: AQI 87 from O3 1-hour 189; its 8-hour mean (219-223) would index above 150."""
    assert aqi.iaqi("o3_8h", 219)[0] > 150 and aqi.calculate("hour", {"o3": 189}).aqi == 87
