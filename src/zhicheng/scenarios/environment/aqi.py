"""HJ 633-2012 air quality index as CNEMC publishes it: IAQI per pollutant, AQI, primary pollutants, level, colour
and health advice, for the hourly real-time report (实时报) and the daily report (日报).

The tables are the standard's: Table 1 (IAQI and the concentration limits with its three notes), Table 2 (levels,
categories, health effects and advice) and Appendix A (the colours). What the standard leaves to practice follows
what the China National Environmental Monitoring Centre (CNEMC) publishes, checked against its hourly station
data: the real-time AQI is the largest IAQI of the six 1-hour values (PM10 and PM2.5 1-hour values read against
their 24-hour limits, the only ones the table has; the O3 8-hour moving mean is published beside it, not in it),
and concentrations enter the table as published (integers in µg/m³, CO to 0.1 mg/m³, rounded by GB/T 8170)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Any, Literal

from zhicheng.core.errors import Invalid
from zhicheng.scenarios.environment.values import exact, is_missing, plain, rounded

Kind = Literal["hour", "day"]
KINDS: tuple[str, ...] = ("hour", "day")
STANDARD = "HJ 633-2012"
IAQI_STEPS = (0, 50, 100, 150, 200, 300, 400, 500)  # Table 1, first column
TOP_IAQI = 500
UG, MG = "µg/m³", "mg/m³"


@dataclass(frozen=True)
class Column:
    """One concentration column of Table 1: a pollutant over an averaging time, its limit at each IAQI step."""

    key: str
    averaging: str  # 1h | 8h | 24h
    unit: str
    decimals: int  # as CNEMC publishes the concentration
    limits: tuple[int, ...]  # at IAQI_STEPS[:len(limits)]


# HJ 633-2012 Table 1. SO2 1-hour stops at 800 (IAQI 200) and O3 8-hour at 800 (IAQI 300): notes (2) and (3)
TABLE: dict[str, Column] = {c.key: c for c in (
    Column("so2_24h", "24h", UG, 0, (0, 50, 150, 475, 800, 1600, 2100, 2620)),
    Column("so2_1h", "1h", UG, 0, (0, 150, 500, 650, 800)),
    Column("no2_24h", "24h", UG, 0, (0, 40, 80, 180, 280, 565, 750, 940)),
    Column("no2_1h", "1h", UG, 0, (0, 100, 200, 700, 1200, 2340, 3090, 3840)),
    Column("pm10_24h", "24h", UG, 0, (0, 50, 150, 250, 350, 420, 500, 600)),
    Column("co_24h", "24h", MG, 1, (0, 2, 4, 14, 24, 36, 48, 60)),
    Column("co_1h", "1h", MG, 1, (0, 5, 10, 35, 60, 90, 120, 150)),
    Column("o3_1h", "1h", UG, 0, (0, 160, 200, 300, 400, 800, 1000, 1200)),
    Column("o3_8h", "8h", UG, 0, (0, 100, 160, 215, 265, 800)),
    Column("pm25_24h", "24h", UG, 0, (0, 35, 75, 115, 150, 250, 350, 500)),
)}
SO2_1H_CEILING = 800  # note (2): above it SO2's 1-hour value is not indexed; the 24-hour one is
O3_8H_CEILING = 800  # note (3): above it O3's 8-hour value is not indexed; the 1-hour one is


@dataclass(frozen=True)
class Pollutant:
    """An input of a report: what CNEMC calls it (its primary-pollutant label) and the column it is read in."""

    key: str
    name: str
    name_en: str
    column: str


HOURLY: dict[str, Pollutant] = {p.key: p for p in (
    Pollutant("so2", "二氧化硫", "SO2", "so2_1h"),
    Pollutant("no2", "二氧化氮", "NO2", "no2_1h"),
    Pollutant("co", "一氧化碳", "CO", "co_1h"),
    Pollutant("o3", "臭氧1小时", "O3 1-hour", "o3_1h"),
    Pollutant("pm10", "颗粒物(PM10)", "PM10", "pm10_24h"),
    Pollutant("pm25", "细颗粒物(PM2.5)", "PM2.5", "pm25_24h"),
)}
# the real-time report's SO2 24-hour moving mean: read only when the 1-hour value is above 800 (note 2)
HOURLY_SO2_24H = Pollutant("so2_24h", "二氧化硫24小时平均", "SO2 24-hour", "so2_24h")
DAILY: dict[str, Pollutant] = {p.key: p for p in (
    Pollutant("so2", "二氧化硫", "SO2", "so2_24h"),
    Pollutant("no2", "二氧化氮", "NO2", "no2_24h"),
    Pollutant("co", "一氧化碳", "CO", "co_24h"),
    Pollutant("o3_1h", "臭氧1小时", "O3 1-hour", "o3_1h"),  # the day's largest 1-hour value
    Pollutant("o3_8h", "臭氧8小时", "O3 8-hour", "o3_8h"),  # the day's largest 8-hour moving mean
    Pollutant("pm10", "颗粒物(PM10)", "PM10", "pm10_24h"),
    Pollutant("pm25", "细颗粒物(PM2.5)", "PM2.5", "pm25_24h"),
)}
REPORTS: dict[str, dict[str, Pollutant]] = {"hour": HOURLY, "day": DAILY}
OPTIONAL: dict[str, dict[str, Pollutant]] = {"hour": {"so2_24h": HOURLY_SO2_24H}, "day": {}}


@dataclass(frozen=True)
class Level:
    """A row of Table 2 with its Appendix A colour."""

    level: int
    name: str  # 一级 … 六级
    category: str  # 优 … 严重污染
    category_en: str
    low: int
    high: int | None  # None: no upper bound (六级, > 300)
    colour: str
    colour_en: str
    rgb: tuple[int, int, int]
    health_effect: str
    health_effect_en: str
    advice: str
    advice_en: str

    @property
    def hex(self) -> str:
        return "#{:02X}{:02X}{:02X}".format(*self.rgb)


LEVELS: tuple[Level, ...] = (
    Level(1, "一级", "优", "Excellent", 0, 50, "绿色", "green", (0, 228, 0),
          "空气质量令人满意，基本无空气污染",
          "Air quality is satisfactory; there is hardly any air pollution",
          "各类人群可正常活动", "Everyone can carry on as usual"),
    Level(2, "二级", "良", "Good", 51, 100, "黄色", "yellow", (255, 255, 0),
          "空气质量可接受，但某些污染物可能对极少数异常敏感人群健康有较弱影响",
          "Air quality is acceptable, but some pollutants may slightly affect the health of a very few unusually "
          "sensitive people",
          "极少数异常敏感人群应减少户外活动", "The very few unusually sensitive people should reduce outdoor activity"),
    Level(3, "三级", "轻度污染", "Lightly polluted", 101, 150, "橙色", "orange", (255, 126, 0),
          "易感人群症状有轻度加剧，健康人群出现刺激症状",
          "Symptoms of susceptible people are slightly aggravated; healthy people show signs of irritation",
          "儿童、老年人及心脏病、呼吸系统疾病患者应减少长时间、高强度的户外锻炼",
          "Children, the elderly and people with heart or respiratory disease should reduce long or strenuous "
          "outdoor exercise"),
    Level(4, "四级", "中度污染", "Moderately polluted", 151, 200, "红色", "red", (255, 0, 0),
          "进一步加剧易感人群症状，可能对健康人群心脏、呼吸系统有影响",
          "Symptoms of susceptible people are further aggravated; the heart and respiratory system of healthy "
          "people may be affected",
          "儿童、老年人及心脏病、呼吸系统疾病患者避免长时间、高强度的户外锻炼，一般人群适量减少户外运动",
          "Children, the elderly and people with heart or respiratory disease should avoid long or strenuous "
          "outdoor exercise; everyone else should cut down outdoor exercise"),
    Level(5, "五级", "重度污染", "Heavily polluted", 201, 300, "紫色", "purple", (153, 0, 76),
          "心脏病和肺病患者症状显著加剧，运动耐受力降低，健康人群普遍出现症状",
          "Symptoms of people with heart or lung disease are markedly aggravated and their exercise tolerance "
          "falls; healthy people commonly show symptoms",
          "儿童、老年人和心脏病、肺病患者应停留在室内，停止户外运动，一般人群减少户外运动",
          "Children, the elderly and people with heart or lung disease should stay indoors and stop outdoor "
          "exercise; everyone else should reduce outdoor exercise"),
    Level(6, "六级", "严重污染", "Severely polluted", 301, None, "褐红色", "maroon", (126, 0, 35),
          "健康人群运动耐受力降低，有明显强烈症状，提前出现某些疾病",
          "Healthy people's exercise tolerance falls, with marked and strong symptoms; some diseases appear early",
          "儿童、老年人和病人应当留在室内，避免体力消耗，一般人群应避免户外活动",
          "Children, the elderly and the sick should stay indoors and avoid exertion; everyone else should avoid "
          "outdoor activity"),
)


def level_of(aqi: int) -> Level:
    """The Table 2 row an AQI falls in (AQI is a whole number: 50 is 优, 51 良)."""
    if aqi < 0:
        raise ValueError(f"an AQI is not negative: {aqi}")
    return next(lv for lv in LEVELS if lv.high is None or aqi <= lv.high)


def iaqi(column: str, concentration: Fraction | int | float) -> tuple[int, bool]:
    """(IAQI, above the table) of a concentration in a Table 1 column: the standard's linear interpolation between the
    nearest limits, rounded up to a whole number (进位取整). Above the column's IAQI 500 limit the index is 500 and
    flagged (the table ends there; CNEMC publishes 500). The two columns that stop short (SO2 1-hour, O3 8-hour)
    refuse a value above their last limit: the report uses another column instead."""
    col = TABLE[column]
    c = Fraction(concentration)
    if c < 0:
        raise ValueError(f"negative concentration {concentration} in {column}")
    limits = col.limits
    if c > limits[-1]:
        if len(limits) < len(IAQI_STEPS):
            raise ValueError(f"{column} has no IAQI above {limits[-1]} {col.unit}")
        return TOP_IAQI, True
    for i in range(1, len(limits)):
        if c <= limits[i]:
            lo, hi = limits[i - 1], limits[i]
            i_lo, i_hi = IAQI_STEPS[i - 1], IAQI_STEPS[i]
            return math.ceil(Fraction(i_hi - i_lo, hi - lo) * (c - lo) + i_lo), False
    raise AssertionError("unreachable: c <= limits[-1]")


@dataclass
class SubIndex:
    """One pollutant of a report: the value given, the value that entered the table, its IAQI."""

    pollutant: str
    name: str
    name_en: str
    column: str | None  # the Table 1 column read; None when no IAQI was computed
    averaging: str | None
    unit: str
    concentration: int | float  # as given
    used: int | float | None  # as published (rounded) and read in the table
    iaqi: int | None
    above_table: bool = False
    note: str | None = None
    note_en: str | None = None


@dataclass
class AqiResult:
    """The report of an hour or a day, shaped like CNEMC's: every value with its IAQI, the AQI and what it means."""

    kind: str
    aqi: int
    level: int
    level_name: str
    category: str
    category_en: str
    colour: str
    colour_en: str
    rgb: tuple[int, int, int]
    hex: str
    health_effect: str
    health_effect_en: str
    advice: str
    advice_en: str
    primary_pollutants: list[str]  # only when AQI > 50; several when tied
    exceedances: list[str]  # 超标污染物: IAQI > 100, worst first
    pollutants: dict[str, SubIndex]
    missing: list[str]  # pollutants of the report not given: the AQI is of the others
    not_computed: list[str] = field(default_factory=list)  # given, but the standard indexes another value
    notes: list[dict[str, str]] = field(default_factory=list)
    standard: str = STANDARD

    @property
    def primary_names(self) -> list[str]:
        return [self.pollutants[p].name for p in self.primary_pollutants]

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["rgb"] = list(self.rgb)
        out["primary_pollutant_names"] = self.primary_names
        out["primary_pollutant_names_en"] = [self.pollutants[p].name_en for p in self.primary_pollutants]
        return out


def accepted(kind: str) -> dict[str, Pollutant]:
    """Every input a report of `kind` reads (its pollutants, then the optional ones)."""
    return {**REPORTS[kind], **OPTIONAL[kind]}


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise Invalid(f"kind 应为 hour（实时报）或 day（日报），收到“{kind}”",
                      f"kind must be hour (real-time report) or day (daily report), got '{kind}'", field="kind")


def _unknown(kind: str, key: str) -> Invalid:
    hint_zh, hint_en = "", ""
    if kind == "day" and key == "o3":
        hint_zh, hint_en = "；日报的臭氧请给 o3_1h（日最大1小时）和 o3_8h（日最大8小时滑动平均）", \
            "; a daily report takes o3_1h (the day's largest 1-hour value) and o3_8h (largest 8-hour mean)"
    elif kind == "hour" and key in ("o3_1h", "o3_8h"):
        hint_zh, hint_en = "；实时报的臭氧请给 o3（1小时平均）", "; a real-time report takes o3 (the 1-hour value)"
    names = "、".join(accepted(kind))
    return Invalid(f"{'实时报' if kind == 'hour' else '日报'}没有污染物项目 {key}（可用：{names}）{hint_zh}",
                   f"a {kind} report has no pollutant {key} (it takes {', '.join(accepted(kind))}){hint_en}",
                   code="unknown_pollutant", field=key)


def checked(kind: str, concentrations: Mapping[str, object]) -> dict[str, Fraction]:
    """The given concentrations as exact numbers, missing ones left out; Invalid naming the first bad one."""
    _check_kind(kind)
    known = accepted(kind)
    out: dict[str, Fraction] = {}
    for key, value in concentrations.items():
        if key not in known:
            raise _unknown(kind, key)
        if is_missing(value):
            continue
        p = known[key]
        out[key] = exact(value, field=key, name=p.name, name_en=p.name_en)
    return out


def published(column: str, value: Fraction) -> Fraction:
    """The concentration as CNEMC publishes it (and reads it in the table): GB/T 8170 to the column's places."""
    return rounded(value, TABLE[column].decimals)


def calculate(kind: str, concentrations: Mapping[str, object]) -> AqiResult:
    """The AQI report of an hour (`kind="hour"`: 1-hour values so2 no2 co o3 pm10 pm25, and so2_24h for note 2) or a
    day (`kind="day"`: 24-hour means so2 no2 co pm10 pm25, the largest 1-hour O3 o3_1h and the largest 8-hour O3
    mean o3_8h). CO in mg/m³, the others in µg/m³. Pollutants not given are listed as missing and the AQI is of
    the others; Invalid names a negative, non-finite or unknown one, or says that none was given."""
    values = checked(kind, concentrations)
    report = REPORTS[kind]
    if not any(k in report for k in values):
        names = ", ".join(report)
        raise Invalid(f"请至少给出一项污染物浓度（{names}）", f"give at least one pollutant concentration ({names})",
                      code="no_pollutant",
                      errors=[{"field": k, "message": "missing"} for k in report])
    subs: dict[str, SubIndex] = {}
    notes: list[dict[str, str]] = []
    not_computed: list[str] = []
    for key, p in report.items():
        if key not in values:
            continue
        value = values[key]
        if kind == "hour" and key == "so2" and published(p.column, value) > SO2_1H_CEILING:
            sub = _so2_above_800(p, value, values.get("so2_24h"), notes)
        elif kind == "day" and key == "o3_8h" and published(p.column, value) > O3_8H_CEILING:
            sub = _o3_8h_above_800(p, value, "o3_1h" in values, notes)
        else:
            sub = _sub_index(p, p.column, value)
        if sub.iaqi is None:
            not_computed.append(key)
        subs[key] = sub
    if "so2_24h" in values and "so2_24h" not in {s.column for s in subs.values()}:
        notes.append({"zh": "SO2 24小时平均仅在 SO2 1小时平均高于 800 µg/m³ 时参与实时报的计算，本次未使用",
                      "en": "the SO2 24-hour mean is used in a real-time report only when the 1-hour value is "
                            "above 800 µg/m³; it was not used"})
    indexed = {k: s.iaqi for k, s in subs.items() if s.iaqi is not None}
    if not indexed:  # only a value the standard does not index was given
        if kind == "hour":
            raise Invalid("没有可计算分指数的污染物：SO2 1小时平均高于 800 µg/m³ 时请给出 SO2 24小时平均（so2_24h）",
                          "no pollutant can be indexed: with SO2 1-hour above 800 µg/m³ give the SO2 24-hour mean "
                          "(so2_24h)", code="no_index", field="so2_24h")
        raise Invalid("没有可计算分指数的污染物：O3 8小时滑动平均高于 800 µg/m³ 时请给出臭氧日最大1小时平均（o3_1h）",
                      "no pollutant can be indexed: with the O3 8-hour mean above 800 µg/m³ give the day's largest "
                      "O3 1-hour value (o3_1h)", code="no_index", field="o3_1h")
    aqi = max(indexed.values())
    lv = level_of(aqi)
    primary = [k for k, v in indexed.items() if v == aqi] if aqi > 50 else []
    exceedances = sorted((k for k, v in indexed.items() if v > 100), key=lambda k: -indexed[k])
    missing = [k for k in report if k not in values]
    if missing:
        notes.append({"zh": "缺少 " + "、".join(report[k].name for k in missing) + "：AQI 由已给出的污染物计算",
                      "en": "missing " + ", ".join(report[k].name_en for k in missing) + ": the AQI is of the "
                            "pollutants given"})
    if any(s.above_table for s in subs.values()):
        notes.append({"zh": "有浓度超过表1中 IAQI=500 对应的限值：其分指数按 500 计",
                      "en": "a concentration is above the Table 1 limit for IAQI 500: its IAQI is taken as 500"})
    return AqiResult(
        kind=kind, aqi=aqi, level=lv.level, level_name=lv.name, category=lv.category, category_en=lv.category_en,
        colour=lv.colour, colour_en=lv.colour_en, rgb=lv.rgb, hex=lv.hex, health_effect=lv.health_effect,
        health_effect_en=lv.health_effect_en, advice=lv.advice, advice_en=lv.advice_en, primary_pollutants=primary,
        exceedances=exceedances, pollutants=subs, missing=missing, not_computed=not_computed, notes=notes)


def _sub_index(p: Pollutant, column: str, value: Fraction) -> SubIndex:
    col = TABLE[column]
    used = published(column, value)
    index, above = iaqi(column, used)
    return SubIndex(p.key, p.name, p.name_en, column, col.averaging, col.unit, plain(value), plain(used), index,
                    above)


def _not_indexed(p: Pollutant, value: Fraction, note: str, note_en: str) -> SubIndex:
    col = TABLE[p.column]
    return SubIndex(p.key, p.name, p.name_en, None, None, col.unit, plain(value), None, None, note=note,
                    note_en=note_en)


def _so2_above_800(p: Pollutant, value: Fraction, day_mean: Fraction | None,
                   notes: list[dict[str, str]]) -> SubIndex:
    """HJ 633 Table 1 note (2): SO2 1-hour above 800 µg/m³ is not indexed; SO2's IAQI is that of its 24-hour mean."""
    zh = "SO2 1小时平均高于 800 µg/m³，不再计算其分指数（HJ 633 表1 注2）"
    en = "SO2 1-hour above 800 µg/m³ is not indexed (HJ 633 Table 1, note 2)"
    if day_mean is None:
        notes.append({"zh": zh + "；未给出 SO2 24小时平均（so2_24h），SO2 无分指数",
                      "en": en + "; no SO2 24-hour mean (so2_24h) was given, so SO2 has no IAQI"})
        return _not_indexed(p, value, "高于 800 µg/m³，需 24小时平均", "above 800 µg/m³: needs the 24-hour mean")
    day = _sub_index(HOURLY_SO2_24H, "so2_24h", day_mean)
    notes.append({"zh": zh + "，按 24小时平均浓度计算的分指数报告", "en": en + "; its 24-hour mean's IAQI is reported"})
    return SubIndex(p.key, p.name, p.name_en, "so2_24h", "24h", UG, day.concentration, day.used, day.iaqi,
                    day.above_table, note=f"1小时平均 {plain(value)} 高于 800，按 24小时平均计算",
                    note_en=f"1-hour value {plain(value)} above 800: indexed by the 24-hour mean")


def _o3_8h_above_800(p: Pollutant, value: Fraction, has_1h: bool, notes: list[dict[str, str]]) -> SubIndex:
    """HJ 633 Table 1 note (3): O3 8-hour above 800 µg/m³ is not indexed; O3's IAQI is that of its 1-hour value."""
    zh = "O3 8小时滑动平均高于 800 µg/m³，不再计算其分指数，按 1小时平均浓度计算的分指数报告（HJ 633 表1 注3）"
    en = "O3 8-hour mean above 800 µg/m³ is not indexed; O3 is reported by its 1-hour IAQI (HJ 633 Table 1, note 3)"
    if not has_1h:
        zh, en = zh + "；请给出臭氧日最大1小时平均（o3_1h）", en + "; give the day's largest O3 1-hour value (o3_1h)"
    notes.append({"zh": zh, "en": en})
    return _not_indexed(p, value, "高于 800 µg/m³，按 1小时平均计算", "above 800 µg/m³: O3 is indexed by its 1-hour value")
