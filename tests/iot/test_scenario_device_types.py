"""The two shipped scenarios bring their device types through the hook only: the environment plugin its air, water
and noise stations, the flood plugin its rain gauges, water levels, waterlogging, pipe pressure, manhole covers and
smart poles, each with Chinese and English names, UCUM units and our property URNs, all valid when loaded."""

from __future__ import annotations

from zhicheng import hookspecs
from zhicheng.iot import device_types

ENVIRONMENT = "zhicheng.scenarios.environment.plugin"
FLOOD = "zhicheng.scenarios.flood.plugin"


def test_the_scenarios_bring_their_device_types_through_the_hook():
    pm = hookspecs.plugin_manager()
    names = [name for name, _plugin in pm.list_name_plugin()]
    assert names.index(FLOOD) == names.index(ENVIRONMENT) + 1
    given = dict(hookspecs.by_plugin(pm.hook.zhicheng_device_types))
    assert [t["key"] for t in given[ENVIRONMENT]] == ["air_station", "water_quality_station", "noise_station"]
    assert [t["key"] for t in given[FLOOD]] == ["rain_gauge", "water_level_station", "waterlogging_sensor",
                                                "pipe_pressure_sensor", "manhole_cover", "smart_pole"]


def test_they_load_and_validate_with_units_ranges_and_intervals():
    types = device_types.device_types(hookspecs.plugin_manager())
    assert {"air_station", "noise_station", "rain_gauge", "smart_pole"} <= set(types)
    for dtype in types.values():
        assert dtype.name and dtype.name_en
        for ds in dtype.datastreams:
            assert ds.observed_property.definition.startswith("urn:zhicheng:property:")
    air = {d.name: d for d in types["air_station"].datastreams}
    assert {"pm25", "pm10", "so2", "no2", "o3", "co"} <= set(air)
    assert (air["pm25"].unit.code, air["pm25"].valid_min, air["pm25"].valid_max) == ("ug/m3", 0, 1000)
    assert air["co"].unit.code == "mg/m3" and air["pm25"].sampling_interval == 3600
    water = {d.name: d for d in types["water_quality_station"].datastreams}
    assert water["ph"].unit.code == "[pH]" and water["turbidity"].unit.code == "{NTU}"
    assert types["water_quality_station"].sampling_interval == 4 * 3600
    assert {d.name for d in types["noise_station"].datastreams} == {"leq", "lmax"}
    level = types["water_level_station"].datastreams[0]
    assert level.unit.code == "m" and "1985" in level.observed_property.description
    cover = {d.name: d.observation_type for d in types["manhole_cover"].datastreams}
    assert cover["open"] == device_types.TRUTH and cover["state"] == device_types.CATEGORY
    assert types["pipe_pressure_sensor"].datastreams[0].unit.code == "MPa"
    # one property, one definition: the air temperature of an air station and of a smart pole is the same property
    pole = {d.name: d for d in types["smart_pole"].datastreams}
    assert pole["temperature"].observed_property == air["temperature"].observed_property


def test_zhicheng_iot_types_lists_them():
    from typer.testing import CliRunner

    from zhicheng.cli import app

    done = CliRunner().invoke(app, ["iot", "types"])
    assert done.exit_code == 0, done.output
    assert "air_station" in done.output and "rain_gauge" in done.output and "manhole_cover" in done.output
