"""From station data to a report: a city's concentrations as the mean over its stations (HJ 663-2013), and a day's
report values from its 24 hourly values (the statistics and data-validity rules of GB 3095-2012 and HJ 663)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from zhicheng.core.errors import Invalid
from zhicheng.scenarios.environment import aqi
from zhicheng.scenarios.environment.values import exact, is_missing, plain

MIN_HOURS_PER_DAY = 20  # GB 3095-2012 Table 4: a 24-hour mean needs at least 20 hourly values
MIN_HOURS_PER_8H = 6  # ... an 8-hour mean at least 6 hourly values
MIN_8H_MEANS = 14  # HJ 663-2013: the daily maximum 8-hour mean needs at least 14 valid 8-hour means (8:00-24:00)
DAILY_MEANS = ("so2", "no2", "co", "pm10", "pm25")  # the daily report's 24-hour means


@dataclass
class CityResult:
    """A city's report: the station means that entered it and how many stations each is the mean of."""

    report: aqi.AqiResult
    means: dict[str, int | float]  # per pollutant: the mean over the stations (exact, before publication rounding)
    stations: dict[str, int]  # per pollutant: stations that gave a value
    station_count: int
    notes: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {**self.report.as_dict(), "city": {"means": self.means, "stations": self.stations,
                                                  "station_count": self.station_count, "notes": self.notes}}


def city_aqi(stations: Sequence[Mapping[str, object]], kind: str = "hour") -> CityResult:
    """The AQI of a city from its assessment stations' concentrations (one mapping per station, the inputs of
    `aqi.calculate` for `kind`): each pollutant is the arithmetic mean over the stations that give it (HJ 663-2013,
    城市点位的算术平均), then indexed as HJ 633 says. Pass the city's assessment stations only: CNEMC leaves control
    points (对照点) out of the city. For a day's O3 8-hour value HJ 663 takes the city's hourly means first: build
    the city's hourly values with `city_hourly` and its day with `daily_from_hours`."""
    if not stations:
        raise Invalid("请至少给出一个站点的浓度", "give the concentrations of at least one station", field="stations")
    values: dict[str, list[Fraction]] = {}
    for i, station in enumerate(stations):
        try:
            for key, value in aqi.checked(kind, station).items():
                values.setdefault(key, []).append(value)
        except Invalid as exc:  # name the station too
            raise Invalid(f"第 {i + 1} 个站点：{exc.zh}", f"station {i + 1}: {exc.en}", code=exc.code,
                          field=f"stations[{i}].{exc.field}" if exc.field else f"stations[{i}]") from None
    means = {k: sum(v, Fraction(0)) / len(v) for k, v in values.items()}
    report = aqi.calculate(kind, means)
    counts = {k: len(v) for k, v in values.items()}
    notes = []
    partial = [k for k, n in counts.items() if n < len(stations)]
    if partial:
        notes.append({"zh": "以下污染物并非每个站点都有数据，取有数据站点的平均：" + "、".join(partial),
                      "en": "not every station gave these; the mean is of those that did: " + ", ".join(partial)})
    return CityResult(report, {k: plain(v) for k, v in means.items()}, counts, len(stations), notes)


def city_hourly(stations: Sequence[Mapping[str, object]]) -> dict[str, Fraction | None]:
    """One hour of a city: each pollutant's mean over the stations that give it (None when none does)."""
    sums: dict[str, list[Fraction]] = {}
    for station in stations:
        for key, value in station.items():
            if not is_missing(value):
                sums.setdefault(key, []).append(exact(value, field=key, name=key))
    return {k: sum(v, Fraction(0)) / len(v) for k, v in sums.items()}


def daily_from_hours(hours: Sequence[Mapping[str, object]]) -> tuple[dict[str, Fraction | None], list[dict[str, str]]]:
    """The daily report's inputs from a day's 24 hourly values (index 0 is the hour ending 01:00, 23 the hour ending
    24:00), and notes on what was left out: the 24-hour means of SO2, NO2, CO, PM10 and PM2.5 (at least 20 hourly
    values), the largest O3 1-hour value, and the largest O3 8-hour moving mean of the windows ending 08:00 to 24:00
    (each of at least 6 hourly values, at least 14 such windows). A statistic without enough data is None."""
    if len(hours) != 24:
        raise Invalid(f"一天应有 24 个小时值，收到 {len(hours)} 个", f"a day has 24 hourly values, got {len(hours)}",
                      field="hours")
    series: dict[str, list[Fraction | None]] = {k: [] for k in (*DAILY_MEANS, "o3")}
    for i, hour in enumerate(hours):
        for key in series:
            value = hour.get(key)
            series[key].append(None if is_missing(value) else exact(value, field=f"hours[{i}].{key}", name=key))
    out: dict[str, Fraction | None] = {}
    notes: list[dict[str, str]] = []
    for key in DAILY_MEANS:
        valid = [v for v in series[key] if v is not None]
        out[key] = sum(valid, Fraction(0)) / len(valid) if len(valid) >= MIN_HOURS_PER_DAY else None
        if out[key] is None and valid:
            notes.append({"zh": f"{key} 只有 {len(valid)} 个小时值（少于 {MIN_HOURS_PER_DAY} 个），无日均值",
                          "en": f"{key} has {len(valid)} hourly values (fewer than {MIN_HOURS_PER_DAY}): no daily mean"})
    o3 = series["o3"]
    valid_o3 = [v for v in o3 if v is not None]
    # the standard sets no count for the day's largest 1-hour O3: asked for as many as a 24-hour mean
    out["o3_1h"] = max(valid_o3) if len(valid_o3) >= MIN_HOURS_PER_DAY else None
    if out["o3_1h"] is None and valid_o3:
        notes.append({"zh": f"o3 只有 {len(valid_o3)} 个小时值（少于 {MIN_HOURS_PER_DAY} 个），无日最大1小时值",
                      "en": f"o3 has {len(valid_o3)} hourly values (fewer than {MIN_HOURS_PER_DAY}): no daily "
                            "maximum 1-hour value"})
    windows = []
    for end in range(7, 24):
        window = [v for v in o3[end - 7:end + 1] if v is not None]
        if len(window) >= MIN_HOURS_PER_8H:
            windows.append(sum(window, Fraction(0)) / len(window))
    out["o3_8h"] = max(windows) if len(windows) >= MIN_8H_MEANS else None
    if out["o3_8h"] is None and valid_o3:
        notes.append({"zh": f"O3 只有 {len(windows)} 个有效 8小时滑动平均（少于 {MIN_8H_MEANS} 个），无日最大8小时值",
                      "en": f"O3 has {len(windows)} valid 8-hour means (fewer than {MIN_8H_MEANS}): no daily "
                            "maximum 8-hour value"})
    return out, notes
