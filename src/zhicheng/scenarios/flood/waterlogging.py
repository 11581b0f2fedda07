"""Standing water (渍水) at underpasses and low roads: the latest depth, its grade for traffic and its 3-hour trend.

Grades (cm of water above the road surface):
- below 15: 正常 (passable). 15 cm is the design limit of GB 50014-2021《室外排水设计标准》and GB 51222-2017
  《城镇内涝防治技术规范》for roads: water in one traffic lane no deeper than 15 cm; above it the road is waterlogged
  (内涝).
- 15 to 27: 积水，谨慎通行 (waterlogged, pass with care, slowly).
- 27 to 40: 严重积水，小型车禁止通行 (deep: cars kept out). 27 cm is the closure depth city traffic plans use for
  sunken underpasses (about half a car wheel, near a car's exhaust pipe).
- 40 and more: 封闭 (closed to all traffic), the depth at which city flood plans close a road or underpass.
The 27 and 40 cm marks are municipal practice (city flood and traffic emergency plans), not a national standard;
`GRADES` is the one place to change them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from zhicheng.core import clock
from zhicheng.core.actor import Actor
from zhicheng.policy import audit
from zhicheng.scenarios.flood.stations import instant, latest_and_recent, stations
from zhicheng.scenarios.flood.trend import TREND_WINDOW, trend

DEVICE_TYPE = "waterlogging_sensor"
STREAM = "water_depth"
LATEST_WITHIN = timedelta(hours=24)

# (lower bound in cm, key, name, English name, colour)
GRADES = (
    (0.0, "passable", "正常", "passable", "#16a34a"),
    (15.0, "caution", "积水，谨慎通行", "waterlogged, pass with care", "#f59e0b"),
    (27.0, "no_cars", "严重积水，小型车禁止通行", "deep water, no cars", "#ea580c"),
    (40.0, "closed", "封闭", "closed", "#dc2626"),
)
NO_DATA = ("no_data", "无数据", "no data", "#94a3b8")


def grade(depth_cm: float | None) -> dict[str, str]:
    """The grade of a depth (cm): key, name, name_en, colour."""
    key, name, name_en, colour = NO_DATA
    if depth_cm is not None:
        for low, k, n, ne, c in GRADES:
            if depth_cm >= low:
                key, name, name_en, colour = k, n, ne, c
    return {"grade": key, "grade_name": name, "grade_name_en": name_en, "colour": colour}


def points_depth(db: Session, *, actor: Actor, at: str | datetime | None = None,
                 department_id: int | None = None) -> dict[str, Any]:
    """Every readable waterlogging point: latest depth (within 24 h of `at`), grade and trend; one audit entry
    (`flood.waterlogging.read`), committed."""
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
        moving = trend([p for p in points if p[0] > end - TREND_WINDOW], to_cm=1)
        out.append({**s.head(), "datastream_id": stream.id if stream else None,
                    "depth_cm": latest[1] if latest else None,
                    "observed_at": clock.local(latest[0]) if latest else None,
                    **grade(latest[1] if latest else None), "trend": moving.as_dict() if moving else None})
    audit.record(db, actor=actor, action="flood.waterlogging.read", target_kind="iot.device",
                 detail={"at": end.isoformat(), "points": len(out)})
    db.commit()
    return {"at": clock.local(end), "points": out,
            "grades": [{"from_cm": low, "grade": k, "name": n, "name_en": ne, "colour": c}
                       for low, k, n, ne, c in GRADES]}
