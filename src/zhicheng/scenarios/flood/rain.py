"""Rainfall at the rain gauges: accumulations over 1, 3, 6, 12 and 24 hours and the rain classes of GB/T 28592-2012.

GB/T 28592-2012《降水量等级》, 表1 不同时段的降雨量等级划分 (mm; the standard grades 12 h and 24 h totals only):

| 等级 | 12 h | 24 h |
| --- | --- | --- |
| 微量降雨（零星小雨） | < 0.1 | < 0.1 |
| 小雨 | 0.1 – 4.9 | 0.1 – 9.9 |
| 中雨 | 5.0 – 14.9 | 10.0 – 24.9 |
| 大雨 | 15.0 – 29.9 | 25.0 – 49.9 |
| 暴雨 | 30.0 – 69.9 | 50.0 – 99.9 |
| 大暴雨 | 70.0 – 139.9 | 100.0 – 249.9 |
| 特大暴雨 | ≥ 140.0 | ≥ 250.0 |

One hour is not in the standard: its grades are the hourly rain-intensity grades of China's weather services
(小雨 ≤ 2.5, 中雨 2.6–8.0, 大雨 8.1–15.9, 暴雨 ≥ 16.0 mm/h), and 短时强降水 (short-duration heavy rain) is an hour
of 20 mm or more, as the China Meteorological Administration defines severe convective weather. A total is rounded
to 0.1 mm by GB/T 8170 (round half to even) before it is graded, as the table's classes are written to 0.1 mm; a
total above 0 that rounds below 0.1 is 微量, exactly 0 is 无降雨 (no rain measured)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy.orm import Session

from zhicheng.core import clock
from zhicheng.core.actor import Actor
from zhicheng.core.errors import Invalid
from zhicheng.iot import rollups
from zhicheng.policy import audit
from zhicheng.scenarios.environment.values import exact, plain, rounded
from zhicheng.scenarios.flood.stations import instant, stations

STANDARD = "GB/T 28592-2012"
DEVICE_TYPE = "rain_gauge"
WINDOWS = {"1h": 1, "3h": 3, "6h": 6, "12h": 12, "24h": 24}  # hours
GRADED = ("1h", "12h", "24h")  # the periods a class exists for
SHORT_HEAVY = Fraction(20)  # mm in one hour: 短时强降水
FINE, HOURLY = "precipitation_5min", "precipitation_1h"  # the rain gauge's datastreams (device_types.RAIN_GAUGE)


@dataclass(frozen=True)
class RainClass:
    """One grade: its key, names, rank (0 none … 7 特大暴雨) and map colour (the weather services' rain-map palette)."""

    key: str
    name: str
    name_en: str
    rank: int
    colour: str


NONE = RainClass("none", "无降雨", "no rain", 0, "#f1f5f9")
TRACE = RainClass("trace", "微量降雨（零星小雨）", "trace (sporadic drizzle)", 1, "#e2e8f0")
LIGHT = RainClass("light", "小雨", "light rain", 2, "#a6f28f")
MODERATE = RainClass("moderate", "中雨", "moderate rain", 3, "#3dba3d")
HEAVY = RainClass("heavy", "大雨", "heavy rain", 4, "#61b8ff")
STORM = RainClass("rainstorm", "暴雨", "rainstorm", 5, "#0000fe")
HEAVY_STORM = RainClass("heavy_rainstorm", "大暴雨", "heavy rainstorm", 6, "#fa00fa")
EXTREME_STORM = RainClass("extreme_rainstorm", "特大暴雨", "extreme rainstorm", 7, "#800040")
CLASSES = (NONE, TRACE, LIGHT, MODERATE, HEAVY, STORM, HEAVY_STORM, EXTREME_STORM)

_ = Fraction
# the lower bound (mm, after rounding to 0.1) of each class from 小雨 up, per period
THRESHOLDS: dict[str, tuple[tuple[RainClass, Fraction], ...]] = {
    "12h": ((LIGHT, _("0.1")), (MODERATE, _(5)), (HEAVY, _(15)), (STORM, _(30)), (HEAVY_STORM, _(70)),
            (EXTREME_STORM, _(140))),
    "24h": ((LIGHT, _("0.1")), (MODERATE, _(10)), (HEAVY, _(25)), (STORM, _(50)), (HEAVY_STORM, _(100)),
            (EXTREME_STORM, _(250))),
    "1h": ((LIGHT, _("0.1")), (MODERATE, _("2.6")), (HEAVY, _("8.1")), (STORM, _(16))),
}
PERIOD_NAMES = {"1h": ("1小时", "1 hour"), "12h": ("12小时", "12 hours"), "24h": ("24小时", "24 hours")}


@dataclass(frozen=True)
class Graded:
    """A total graded for its period."""

    amount: float  # mm, rounded to 0.1 (GB/T 8170)
    period: str
    rain_class: RainClass
    short_duration_heavy: bool  # 1 h only: ≥ 20 mm
    standard: str

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["class"] = out.pop("rain_class")
        return out


def check_period(period: object) -> str:
    """`period` as one of 1h / 12h / 24h (also 1, 12, 24), or Invalid naming `period`."""
    text = str(period).strip().lower() if period is not None else ""
    text = text if text.endswith("h") else f"{text}h"
    if text not in THRESHOLDS:
        raise Invalid("period 须为 1h、12h 或 24h", "period must be 1h, 12h or 24h", field="period")
    return text


def grade(amount: object, period: object, *, field: str = "amount") -> Graded:
    """The class of a total `amount` (mm) over `period` (1h, 12h, 24h); Invalid naming the field at fault."""
    period = check_period(period)
    value = exact(amount, field=field, name="降雨量", name_en="rainfall")
    shown = rounded(value, 1)
    found = NONE if value == 0 else TRACE
    for cls, low in THRESHOLDS[period]:
        if shown >= low:
            found = cls
    return Graded(plain(shown), period, found, period == "1h" and shown >= SHORT_HEAVY, STANDARD)


def worse(*graded: Graded | None) -> Graded | None:
    """The most severe of some graded totals (the first on a tie)."""
    present = [g for g in graded if g is not None]
    return max(present, key=lambda g: g.rain_class.rank) if present else None


# -- the gauges ----------------------------------------------------------------------------------------------------

def _totals(sums: list[tuple[int, float | None]]) -> dict[str, dict[str, Any]]:
    return {name: {"mm": None if count == 0 else round(total or 0.0, 1), "observations": count}
            for name, (count, total) in zip(WINDOWS, sums, strict=True)}


def gauge_rain(db: Session, *, actor: Actor, at: str | datetime | None = None,
               department_id: int | None = None) -> dict[str, Any]:
    """Every readable rain gauge with its accumulations over the windows ending at `at` (default now) and their
    classes; one audit entry (`flood.rain.read`), committed.

    A gauge's 5-minute stream is summed when it has data in the last 24 h, else its hourly stream (never both,
    which would count the rain twice). A window is (at − n h, at]: an observation counts for the interval it ends."""
    end = instant(at)
    found = stations(db, actor=actor, device_type=DEVICE_TYPE, department_id=department_id)
    ids = [d.id for s in found for k, d in s.streams.items() if k in (FINE, HOURLY)]
    sums = rollups.window_sums(db, actor=actor, datastream_ids=ids, end=end,
                               windows=[timedelta(hours=h) for h in WINDOWS.values()])
    gauges = []
    for s in found:
        fine, hourly = s.streams.get(FINE), s.streams.get(HOURLY)
        chosen = fine if fine is not None and sums.get(fine.id, [(0, None)])[-1][0] else hourly or fine
        totals = _totals(sums.get(chosen.id, [(0, None)] * len(WINDOWS))) if chosen is not None else {}
        classes = {p: grade(totals[p]["mm"], p).as_dict() if totals.get(p, {}).get("mm") is not None else None
                   for p in GRADED}
        overall = worse(*(grade(totals[p]["mm"], p) for p in ("12h", "24h")
                          if totals.get(p, {}).get("mm") is not None))
        gauges.append({**s.head(), "datastream_id": chosen.id if chosen else None,
                       "datastream": chosen.key if chosen else None, "accumulations": totals, "classes": classes,
                       "class": asdict(overall.rain_class) if overall else None,
                       "short_duration_heavy": bool(classes["1h"] and classes["1h"]["short_duration_heavy"])})
    audit.record(db, actor=actor, action="flood.rain.read", target_kind="iot.device",
                 detail={"at": end.isoformat(), "gauges": len(gauges)})
    db.commit()
    return {"at": clock.local(end), "standard": STANDARD, "windows": list(WINDOWS), "gauges": gauges}
