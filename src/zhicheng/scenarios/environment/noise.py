"""GB 3096-2008 environmental noise: the day and night limits of the acoustic functional zones 0, 1, 2, 3, 4a and
4b (Table 1, equivalent sound level LAeq in dB(A)), compliance and exceedance of a measured level."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import time
from fractions import Fraction
from typing import Any

from zhicheng.core.errors import Invalid
from zhicheng.scenarios.environment.values import exact, is_missing, plain

STANDARD = "GB 3096-2008"
DAY_START, NIGHT_START = time(6, 0), time(22, 0)  # its terms: 昼间 06:00-22:00, 夜间 22:00-次日 06:00
NIGHT_LMAX_MARGIN = 15  # chapter 5: at night a sudden noise's maximum level may pass the limit by 15 dB(A) at most
MAX_LEVEL = 200  # dB(A): above it a value is a typo, not a measurement


@dataclass(frozen=True)
class Zone:
    key: str
    name: str
    name_en: str
    day: int
    night: int
    area: str  # where it applies (GB 3096-2008, 4 声环境功能区分类)
    area_en: str


ZONES: dict[str, Zone] = {z.key: z for z in (
    Zone("0", "0类声环境功能区", "zone 0", 50, 40, "康复疗养区等特别需要安静的区域",
         "areas needing special quiet, such as convalescent and sanatorium areas"),
    Zone("1", "1类声环境功能区", "zone 1", 55, 45,
         "以居民住宅、医疗卫生、文化教育、科研设计、行政办公为主要功能，需要保持安静的区域",
         "mainly housing, health care, education, research and administration, to be kept quiet"),
    Zone("2", "2类声环境功能区", "zone 2", 60, 50,
         "以商业金融、集市贸易为主要功能，或者居住、商业、工业混杂，需要维护住宅安静的区域",
         "mainly commerce and markets, or mixed housing, commerce and industry, where homes are kept quiet"),
    Zone("3", "3类声环境功能区", "zone 3", 65, 55,
         "以工业生产、仓储物流为主要功能，需要防止工业噪声对周围环境产生严重影响的区域",
         "mainly industry, warehousing and logistics, where industrial noise must not seriously affect the "
         "surroundings"),
    Zone("4a", "4a类声环境功能区", "zone 4a", 70, 55,
         "高速公路、一级公路、二级公路、城市快速路、城市主干路、城市次干路、城市轨道交通（地面段）、内河航道两侧区域",
         "both sides of expressways, class 1 and 2 highways, urban expressways, arterial and secondary roads, urban "
         "rail (surface sections) and inland waterways"),
    Zone("4b", "4b类声环境功能区", "zone 4b", 70, 60, "铁路干线两侧区域", "both sides of railway trunk lines"),
)}
PERIODS = {"day": ("昼间", "day", "06:00-22:00"), "night": ("夜间", "night", "22:00-06:00")}
TIME_TEXT = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)(?::[0-5]\d)?$")


def zone_of(text: str) -> Zone:
    """A zone from what a user types: 0, 1, 2, 3, 4a, 4b (case and a trailing 类 ignored)."""
    key = str(text).strip().lower().removesuffix("类").removeprefix("zone").strip()
    if key in ZONES:
        return ZONES[key]
    hint_zh, hint_en = ("；4 类区分 4a 和 4b", "; zone 4 is either 4a or 4b") if key == "4" else ("", "")
    raise Invalid(f"声环境功能区应为 0、1、2、3、4a 或 4b，收到“{text}”{hint_zh}",
                  f"the zone must be 0, 1, 2, 3, 4a or 4b, got '{text}'{hint_en}", code="unknown_zone", field="zone")


def period_at(moment: time) -> str:
    """'day' from 06:00 up to 22:00, 'night' from 22:00 up to 06:00."""
    return "day" if DAY_START <= moment < NIGHT_START else "night"


def parse_time(text: str) -> time:
    match = TIME_TEXT.match(str(text).strip())
    if not match:
        raise Invalid(f"时间应为 HH:MM，收到“{text}”", f"the time must be HH:MM, got '{text}'", field="time")
    return time(int(match.group(1)), int(match.group(2)))


@dataclass
class NoiseResult:
    zone: str
    zone_name: str
    zone_name_en: str
    area: str
    area_en: str
    period: str
    period_name: str
    hours: str
    limit: int
    leq: int | float
    compliant: bool
    exceedance_db: int | float  # dB(A) above the limit, 0 when compliant
    lmax: int | float | None = None
    lmax_limit: int | None = None
    lmax_compliant: bool | None = None
    lmax_exceedance_db: int | float | None = None
    notes: list[dict[str, str]] = field(default_factory=list)
    unit: str = "dB(A)"
    standard: str = STANDARD

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _level(raw: object, key: str, name: str, name_en: str) -> Fraction:
    value = exact(raw, field=key, name=name, name_en=name_en)
    if value > MAX_LEVEL:
        raise Invalid(f"{name}（{key}）超出合理范围（0~{MAX_LEVEL} dB(A)）：{raw}",
                      f"{name_en} ({key}) is out of range (0-{MAX_LEVEL} dB(A)): {raw}", code="out_of_range",
                      field=key)
    return value


def assess(*, zone: str, leq: object, period: str | None = None, at: str | time | None = None,
           lmax: object = None) -> NoiseResult:
    """Whether a measured LAeq meets zone `zone`'s limit for `period` ('day' or 'night'), or for the period of the
    clock time `at`; with `lmax`, whether a night's sudden noise stays within 15 dB(A) of the limit."""
    z = zone_of(zone)
    if period is not None and period not in PERIODS:
        raise Invalid(f"时段应为 day（昼间）或 night（夜间），收到“{period}”",
                      f"the period must be day or night, got '{period}'", field="period")
    moment = None if at is None or (isinstance(at, str) and not at.strip()) else (
        at if isinstance(at, time) else parse_time(at))
    if period is None and moment is None:
        raise Invalid("请给出时段（day 或 night）或测量时间（HH:MM）", "give the period (day or night) or the time "
                      "of the measurement (HH:MM)", code="no_period", field="period")
    if period is not None and moment is not None and period_at(moment) != period:
        raise Invalid(f"测量时间 {moment:%H:%M} 属于{PERIODS[period_at(moment)][0]}，与所给时段不符",
                      f"{moment:%H:%M} is {period_at(moment)}time, not {period}", code="period_mismatch",
                      field="period")
    period = period or period_at(moment)  # type: ignore[arg-type]
    if is_missing(leq):
        raise Invalid("请给出等效声级 Leq（dB(A)）", "give the equivalent sound level Leq (dB(A))", field="leq")
    level = _level(leq, "leq", "等效声级", "equivalent sound level")
    limit = z.day if period == "day" else z.night
    over = level - limit
    result = NoiseResult(zone=z.key, zone_name=z.name, zone_name_en=z.name_en, area=z.area, area_en=z.area_en,
                         period=period, period_name=PERIODS[period][0], hours=PERIODS[period][2], limit=limit,
                         leq=plain(level), compliant=over <= 0, exceedance_db=plain(max(over, Fraction(0))))
    if not is_missing(lmax):
        peak = _level(lmax, "lmax", "最大声级", "maximum sound level")
        result.lmax = plain(peak)
        if period == "night":
            result.lmax_limit = limit + NIGHT_LMAX_MARGIN
            result.lmax_compliant = peak <= result.lmax_limit
            result.lmax_exceedance_db = plain(max(peak - result.lmax_limit, Fraction(0)))
        else:
            result.notes.append({"zh": "最大声级只用于夜间突发噪声的评价（GB 3096 第5章），昼间不评价",
                                 "en": "the maximum level is assessed for sudden noise at night only (GB 3096, chapter 5)"})
    if z.key == "4b":
        result.notes.append({
            "zh": "4b 类限值适用于 2011年1月1日起环境影响评价文件通过审批的新建铁路干线两侧；穿越城区的既有铁路干线两侧，"
                  "不通过列车时的背景噪声按昼间 70、夜间 55 dB(A) 执行（GB 3096 第5章）",
            "en": "the 4b limits apply beside railway trunk lines whose environmental impact assessment was approved "
                  "from 1 January 2011; beside existing lines through a city the background level without trains is "
                  "held to 70 dB(A) by day and 55 at night (GB 3096, chapter 5)"})
    return result
