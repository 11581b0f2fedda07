"""A flood-control city: the water bureau (housing) with open and closed rain gauges, a level station with its 警戒/保证
水位 and a waterlogging point; observations sent through the IoT domain's one write path, `iot.ingest.ingest`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from zhicheng.accounts.service import actor_for
from zhicheng.core import clock
from zhicheng.iot import service
from zhicheng.iot.ingest import Incoming, ingest


@dataclass
class Flood:
    officer: object  # the housing bureau's data officer, who owns every station
    staff: object  # a housing bureau user
    outsider: object  # a police bureau user
    admin: object
    gauge: object  # Registered: open rain gauge, 5-minute data
    hourly_gauge: object  # Registered: closed rain gauge, hourly data only
    level: object  # Registered: closed level station, warning 30.00 m, guaranteed 32.00 m
    logging: object  # Registered: open waterlogging point
    end: datetime  # the instant the reports are asked for (UTC, on the hour, two hours ago)


def send(db, registered, key: str, points: list[tuple[datetime, float]]) -> None:
    """Ingest `points` into the device's datastream `key` (as a device batch would)."""
    items = [Incoming(key, at.isoformat(), value) for at, value in points]
    outcome = ingest(db, thing=registered.thing, items=items, channel="batch")
    assert not outcome.quarantined, outcome.as_dict()


@pytest.fixture
def flood(db, make_user, departments) -> Flood:
    from zhicheng.scenarios.flood import levels

    officer = make_user("water_officer", roles=["data_officer"], department=departments["housing"])
    staff = make_user("water_staff", department=departments["housing"])
    outsider = make_user("police_staff", department=departments["police"])
    admin = make_user("flood_admin", roles=["admin"])
    act, dept = actor_for(officer), departments["housing"].id

    def register(code, name, kind, lon, lat, *, open_=False, description=""):
        return service.register_device(db, actor=act, department_id=dept, device_type=kind, code=code, name=name,
                                       lon=lon, lat=lat, open=open_, description=description)

    gauge = register("RG-001", "岳麓山雨量站", "rain_gauge", 112.93, 28.18, open_=True,
                     description="测试数据 / test data")
    hourly = register("RG-002", "橘子洲雨量站", "rain_gauge", 112.96, 28.19)
    level = register("WL-001", "湘江长沙站", "water_level_station", 112.97, 28.20)
    logging_point = register("WD-001", "五一大道下穿通道", "waterlogging_sensor", 112.98, 28.19, open_=True)
    levels.set_thresholds(db, actor=act, thing_id=level.thing.id, warning_level=36.0, guarantee_level=38.37)
    end = (clock.now() - timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    return Flood(officer, staff, outsider, admin, gauge, hourly, level, logging_point, end)
