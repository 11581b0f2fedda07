"""River and lake water levels against each station's 警戒水位 (warning level) and 保证水位 (guaranteed safe level):
the latest level, how far above or below each, the 3-hour trend and the state 正常 / 超警戒 / 超保证.

The two levels are the station's own, set by its department (`set_thresholds`) and kept in the device's SensorThings
`properties` as `warning_level` and `guarantee_level`, metres above the 1985 national height datum like the level
itself. 超警戒 is a level at or above the warning level, 超保证 at or above the guaranteed level, as the water
authorities' reports (水情通报) count 超警/超保 (SL 250-2000 水文情报预报规范 names the two levels)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from zhicheng.core import clock
from zhicheng.core.actor import Actor
from zhicheng.core.errors import Invalid
from zhicheng.iot import service
from zhicheng.policy import audit
from zhicheng.scenarios.flood.stations import instant, latest_and_recent, stations
from zhicheng.scenarios.flood.trend import TREND_WINDOW, trend

DEVICE_TYPE = "water_level_station"
STREAM = "water_level"
LATEST_WITHIN = timedelta(hours=24)  # a level older than this is no current level
WARNING, GUARANTEE = "warning_level", "guarantee_level"
LOW, HIGH = -20.0, 5000.0  # the water level datastream's valid range (m)

STATES = {
    "normal": ("正常", "normal", "#16a34a"),
    "above_warning": ("超警戒", "above warning level", "#f59e0b"),
    "above_guarantee": ("超保证", "above guaranteed level", "#dc2626"),
    "no_thresholds": ("未设定警戒水位", "no warning level set", "#64748b"),
    "no_data": ("无数据", "no data", "#94a3b8"),
}


def thresholds(properties: dict | None) -> tuple[float | None, float | None]:
    """(warning level, guaranteed level) of a station's properties, metres; None where unset."""
    props = properties or {}
    return _stored_level(props.get(WARNING)), _stored_level(props.get(GUARANTEE))


def _stored_level(value: object) -> float | None:
    """A stored level as a number, None when unset or not a finite number (properties can be written through
    SensorThings too, which knows nothing of water levels: such a station shows as having no level set)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return value


def _level(value: object, field: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid(f"{field} 须为数值（米）", f"{field} must be a number (metres)", field=field)
    if not math.isfinite(value) or not LOW <= value <= HIGH:
        raise Invalid(f"{field} 须在 {LOW} 到 {HIGH} 米之间", f"{field} must be within {LOW}..{HIGH} m", field=field)
    return float(value)


def set_thresholds(db: Session, *, actor: Actor, thing_id: int, warning_level: object,
                   guarantee_level: object) -> dict[str, float | None]:
    """Set (or with None clear) a level station's 警戒水位 and 保证水位 (its department's data officer or the admin;
    audited by the IoT domain as iot.device.properties). The guaranteed level may not be below the warning level."""
    warning, guarantee = _level(warning_level, WARNING), _level(guarantee_level, GUARANTEE)
    if warning is not None and guarantee is not None and guarantee < warning:
        raise Invalid("保证水位不能低于警戒水位", "the guaranteed level cannot be below the warning level",
                      field=GUARANTEE)
    thing = service.get_device(db, actor=actor, thing_id=thing_id)
    if thing.device_type != DEVICE_TYPE:
        raise Invalid(f"设备 {thing.code} 不是水位站", f"device {thing.code} is not a water level station",
                      field="thing_id")
    thing = service.set_properties(db, actor=actor, thing_id=thing_id, values={WARNING: warning, GUARANTEE: guarantee})
    return dict(zip((WARNING, GUARANTEE), thresholds(thing.properties), strict=True))


def state(level: float | None, warning: float | None, guarantee: float | None) -> str:
    """normal | above_warning | above_guarantee | no_thresholds | no_data."""
    if level is None:
        return "no_data"
    if guarantee is not None and level >= guarantee:
        return "above_guarantee"
    if warning is not None and level >= warning:
        return "above_warning"
    return "normal" if warning is not None or guarantee is not None else "no_thresholds"


def assess(level: float | None, warning: float | None, guarantee: float | None) -> dict[str, Any]:
    """The state of a level and how far it is above (+) or below (−) each threshold, metres to the centimetre."""
    key = state(level, warning, guarantee)
    name, name_en, colour = STATES[key]

    def over(limit: float | None) -> float | None:
        return None if level is None or limit is None else round(level - limit, 2) + 0.0

    return {"state": key, "state_name": name, "state_name_en": name_en, "colour": colour,
            "over_warning_m": over(warning), "over_guarantee_m": over(guarantee)}


def station_levels(db: Session, *, actor: Actor, at: str | datetime | None = None,
                   department_id: int | None = None) -> dict[str, Any]:
    """Every readable level station: latest level (within 24 h of `at`), thresholds, margins, trend, state; one
    audit entry (`flood.levels.read`), committed."""
    end = instant(at)
    found = stations(db, actor=actor, device_type=DEVICE_TYPE, department_id=department_id)
    ids = [s.streams[STREAM].id for s in found if STREAM in s.streams]
    series = latest_and_recent(db, actor=actor, datastream_ids=ids, end=end, recent=TREND_WINDOW,
                               latest_within=LATEST_WITHIN)
    out = []
    for s in found:
        stream = s.streams.get(STREAM)
        points = series.get(stream.id, []) if stream else []
        latest = points[-1] if points else None
        warning, guarantee = thresholds(s.thing.properties)
        level = latest[1] if latest else None
        moving = trend([p for p in points if p[0] > end - TREND_WINDOW], to_cm=100)
        out.append({**s.head(), "datastream_id": stream.id if stream else None, "level_m": level,
                    "observed_at": clock.local(latest[0]) if latest else None, "warning_level_m": warning,
                    "guarantee_level_m": guarantee, **assess(level, warning, guarantee),
                    "trend": moving.as_dict() if moving else None})
    audit.record(db, actor=actor, action="flood.levels.read", target_kind="iot.device",
                 detail={"at": end.isoformat(), "stations": len(out)})
    db.commit()
    return {"at": clock.local(end), "datum": "1985国家高程基准 / 1985 national height datum", "stations": out}
