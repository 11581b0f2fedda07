"""A real week: Beijing's 12 national stations, 1–7 February 2017 (UCI "Beijing Multi-Site Air-Quality Data",
Zhang et al. 2017, CC BY 4.0; /work/shared/data/sensors/beijing_multisite_aq). The hourly real-time reports of every
station-hour, the daily reports of every station-day, and the city's day built as HJ 663 says (the city's hourly
means first). CO is given there in µg/m³; HJ 633 reads CO in mg/m³, so it is divided by 1000 on the way in."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from zhicheng.scenarios.environment import aqi, city

FIXTURE = Path("/work/shared/data/sensors/beijing_multisite_aq/fixture_2017-02-01_to_07_all12stations.csv")
COLUMNS = {"so2": "SO2", "no2": "NO2", "co": "CO", "o3": "O3", "pm10": "PM10", "pm25": "PM2.5"}

pytestmark = pytest.mark.skipif(not FIXTURE.exists(), reason=f"{FIXTURE} is not on this machine")


def _value(text: str, key: str) -> float | None:
    if text in ("", "NA"):
        return None
    return float(text) / 1000 if key == "co" else float(text)  # CO: µg/m³ in the file, mg/m³ in HJ 633


@pytest.fixture(scope="module")
def week() -> dict[int, dict[str, list[dict]]]:
    """day → station → its 24 hours (hour 0 is 00:00-01:00), each {pollutant: value or None}."""
    days: dict[int, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(lambda: [{} for _ in range(24)]))
    with FIXTURE.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            hours = days[int(row["day"])][row["station"]]
            hours[int(row["hour"])] = {k: _value(row[col], k) for k, col in COLUMNS.items()}
    return days


def test_the_week_is_all_there(week):
    assert sorted(week) == [1, 2, 3, 4, 5, 6, 7]
    assert all(len(stations) == 12 for stations in week.values())


def test_every_station_hour_has_a_plausible_real_time_report(week):
    categories: Counter = Counter()
    for stations in week.values():
        for hours in stations.values():
            for hour in hours:
                if all(v is None for v in hour.values()):
                    continue  # the station sent nothing that hour
                r = aqi.calculate("hour", hour)
                assert 0 <= r.aqi <= 500
                assert r.level == aqi.level_of(r.aqi).level
                if r.aqi > 50:
                    assert r.primary_pollutants, r.as_dict()
                categories[r.category] += 1
    assert sum(categories.values()) >= 12 * 24 * 7 - 10
    # a winter week in Beijing: clean northerly days and a heavy smog episode (3-4 February 2017)
    assert categories["优"] > 500 and categories["严重污染"] > 100
    assert set(categories) == {lv.category for lv in aqi.LEVELS}


def test_every_station_day_and_the_city_day(week):
    city_days, complete = {}, 0
    for day, stations in sorted(week.items()):
        station_days = []
        for hours in stations.values():
            values, notes = city.daily_from_hours(hours)
            station_days.append(values)
            r = aqi.calculate("day", values)
            complete += not r.missing
            assert len(notes) == len(r.missing), (day, r.missing, notes)  # a gap is always explained
            if r.aqi > 100:
                assert r.exceedances and set(r.primary_pollutants) <= {"pm25", "pm10"}
        hourly_city = [city.city_hourly(stations[name][h] for name in stations) for h in range(24)]
        values, _notes = city.daily_from_hours(hourly_city)
        city_days[day] = aqi.calculate("day", values)
        by_stations = city.city_aqi(station_days, "day")
        assert by_stations.station_count == 12
        # the 24-hour means agree either way; only the O3 8-hour value differs (a max of means ≠ a mean of maxes)
        for key in ("so2", "no2", "pm10", "pm25"):
            assert abs(by_stations.means[key] - float(values[key])) < 1.5, (day, key)
    assert complete >= 80  # of 84 station-days: real gaps leave a few statistics out
    summary = {d: (r.aqi, r.category, r.primary_pollutants) for d, r in city_days.items()}
    assert summary[1][1] in ("优", "良") and summary[5][1] == "优" and summary[6][1] == "优"
    assert summary[4][1] in ("重度污染", "严重污染") and summary[4][2] == ["pm25"]
    assert summary[3][0] > 200 and summary[2][1] == "轻度污染"


def test_a_city_is_the_mean_of_its_stations():
    stations = [{"pm25": 40, "pm10": 60, "so2": None}, {"pm25": 50, "pm10": 80}, {"pm25": 61}]
    r = city.city_aqi(stations, "hour")
    assert r.means == {"pm25": 151 / 3, "pm10": 70}  # 50.33 → published 50
    assert r.report.pollutants["pm25"].used == 50 and r.report.aqi == 69 and r.stations == {"pm25": 3, "pm10": 2}
    assert r.notes and "pm10" in r.notes[0]["zh"]
    assert r.as_dict()["city"]["station_count"] == 3


def test_a_bad_station_value_names_the_station():
    from zhicheng.core.errors import Invalid

    with pytest.raises(Invalid) as exc:
        city.city_aqi([{"pm25": 40}, {"pm25": -2}], "hour")
    assert exc.value.field == "stations[1].pm25" and "第 2 个站点" in exc.value.zh
    with pytest.raises(Invalid):
        city.city_aqi([], "hour")


def test_a_day_needs_20_hours_and_14_ozone_windows():
    hours = [{"pm25": 10, "o3": 100} for _ in range(24)]
    for h in range(5):
        hours[h] = {"o3": 100}
    values, notes = city.daily_from_hours(hours)
    assert values["pm25"] is None and "19" in notes[0]["zh"]
    assert values["o3_1h"] == 100 and values["o3_8h"] == 100
    gaps = [{"o3": (100 if h % 4 else None)} for h in range(24)]  # 3 of every 4 hours: every window has 6
    assert city.daily_from_hours(gaps)[0]["o3_8h"] == 100
    sparse = [{"o3": (100 if h % 2 else None)} for h in range(24)]  # 4 of every 8: no valid window
    values, notes = city.daily_from_hours(sparse)
    assert values["o3_8h"] is None and values["o3_1h"] is None
    rising = [{"o3": h * 10} for h in range(24)]  # the last window, 16:00-24:00, is the largest: mean of 160..230
    assert city.daily_from_hours(rising)[0]["o3_8h"] == 195
