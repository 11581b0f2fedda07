"""An air station and a rain gauge as device types (from a test plugin registered with pluggy), a registered device
of each in two departments, and helpers to send observations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from zhicheng import hookspecs
from zhicheng.hookspecs import hookimpl
from zhicheng.iot import service

PM25 = {"name": "pm25", "observed_property": {"name": "PM2.5", "definition": "http://vocab.nerc.ac.uk/PM2.5"},
        "unit": {"code": "ug/m3", "symbol": "μg/m³", "name": "微克每立方米"}, "observation_type": "measurement",
        "valid_min": 0, "valid_max": 1000, "sampling_interval": 3600}
AIR = {"key": "test_air", "name": "测试空气站", "name_en": "Test air station",
       "datastreams": [PM25, {**PM25, "name": "o3", "observed_property": {
           "name": "O3", "definition": "http://vocab.nerc.ac.uk/O3"}}]}
RAIN = {"key": "test_rain", "name": "测试雨量计", "name_en": "Test rain gauge",
        "datastreams": [{"name": "rain", "observed_property": {"name": "降雨量", "definition": "urn:test:rain"},
                         "unit": {"code": "mm", "symbol": "mm", "name": "毫米"}, "valid_min": 0, "valid_max": 300,
                         "sampling_interval": 300},
                        {"name": "door_open", "observed_property": {"name": "箱门", "definition": "urn:test:door"},
                         "unit": {"code": "1", "symbol": "", "name": "无"}, "observation_type": "truth",
                         "sampling_interval": 300}]}


class TestDeviceTypes:
    @hookimpl
    def zhicheng_device_types(self):
        return [AIR, RAIN]


@pytest.fixture
def device_types_plugin():
    pm = hookspecs.installed()
    plugin = TestDeviceTypes()
    pm.register(plugin, name="iot-test-types")
    yield plugin
    pm.unregister(plugin)


@dataclass
class World:
    officer: object  # the police bureau's data officer
    other_officer: object  # the housing bureau's data officer
    staff: object  # a police bureau user
    outsider: object  # a housing bureau user
    admin: object
    air: object  # Registered: the police air station (not open)
    rain: object  # Registered: the housing rain gauge (open)


@pytest.fixture
def world(db, make_user, departments, device_types_plugin) -> World:
    officer = make_user("police_officer", roles=["data_officer"], department=departments["police"])
    other = make_user("housing_officer", roles=["data_officer"], department=departments["housing"])
    staff = make_user("police_staff", department=departments["police"])
    outsider = make_user("housing_staff", department=departments["housing"])
    admin = make_user("iot_admin", roles=["admin"])
    from zhicheng.accounts.service import actor_for

    air = service.register_device(db, actor=actor_for(officer), department_id=departments["police"].id,
                                  device_type="test_air", code="AIR-001", name="五一广场空气站", lon=112.98,
                                  lat=28.19)
    rain = service.register_device(db, actor=actor_for(other), department_id=departments["housing"].id,
                                   device_type="test_rain", code="RAIN-001", name="湘江雨量站", lon=112.95,
                                   lat=28.20, open=True)
    return World(officer, other, staff, outsider, admin, air, rain)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def hours_ago(n: float) -> str:
    return (datetime.now(UTC) - timedelta(hours=n)).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def stream(db, registered, key: str) -> int:
    return next(d.id for d in service.datastreams_of(db, registered.thing.id) if d.key == key)
