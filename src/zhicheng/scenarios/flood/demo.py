"""The flood scenario's demo devices (`zhicheng_demo_data`): 5 rain gauges replaying the UCI five cities' hourly rain,
3 Xiang River (湘江) level stations with their 警戒水位 and 保证水位, and 6 underpass waterlogging sensors, at
generated sites in Changsha, registered by 市水利局's and 市住建局's data officers with three days of history."""

from __future__ import annotations

import random

from zhicheng.hookspecs import hookimpl

SEED = 20260515
CITY_NAMES = {"Beijing": "北京", "Shanghai": "上海", "Guangzhou": "广州", "Chengdu": "成都", "Shenyang": "沈阳"}
# each city's rain series on a generated site in one of Changsha's real districts
RAIN_SITES = (("Guangzhou", "430102"), ("Chengdu", "430104"), ("Shanghai", "430111"), ("Beijing", "430105"),
              ("Shenyang", "430112"))
# generated stations at approximate points on the Xiang River; base level (m, generated) and the 警戒/保证 levels:
# the demo's own, after those published for 湘江长沙站 (36.0 m and 38.37 m)
RIVER_SITES = (("湘江橘子洲水位站", 112.9590, 28.1930, 33.6, 36.0, 38.37),
               ("湘江猴子石水位站", 112.9560, 28.1500, 33.8, 36.2, 38.6),
               ("湘江霞凝水位站", 112.9350, 28.3100, 33.2, 35.5, 37.9))
# underpasses in the urban districts: district, the rain gauge's series feeding it, drainage capacity (mm/h)
UNDERPASS_SITES = (("430102", "Guangzhou", 8.0), ("430103", "Guangzhou", 10.0), ("430105", "Guangzhou", 12.0),
                   ("430104", "Chengdu", 6.0), ("430111", "Chengdu", 10.0), ("430111", "Shanghai", 8.0))


def devices() -> list:
    """The flood demo devices (deterministic: the same sites on every load)."""
    from zhicheng.demo import names
    from zhicheng.demo.iot_replay import GENERATED, RAIN_CREDIT, DemoDevice, site_in_street

    rnd = random.Random(SEED)
    out = []
    for n, (city, district) in enumerate(RAIN_SITES, start=1):
        lon, lat, street = site_in_street(rnd, district)
        out.append(DemoDevice(
            f"DEMO-RAIN-{n:02d}", "rain_gauge", "water_officer", "water", f"{street}雨量站（演示）", lon, lat,
            f"{GENERATED}。回放{CITY_NAMES[city]}（{city}）实测逐时降水 / replays {city}'s real hourly rain: "
            f"{RAIN_CREDIT}",
            {"street": street, "district_code": district, "station": city, "replayed": RAIN_CREDIT,
             "feed": {"kind": "rain", "series": city}}))
    for n, (name, lon, lat, base, warning, guarantee) in enumerate(RIVER_SITES, start=1):
        out.append(DemoDevice(
            f"DEMO-LEVEL-{n:02d}", "water_level_station", "water_officer", "water", f"{name}（演示）", lon, lat,
            f"{GENERATED}（湘江近似位置）。警戒水位 {warning} m，保证水位 {guarantee} m；水位由回放的广州降水推算，系统生成 "
            f"/ warning level {warning} m, guarantee level {guarantee} m; levels generated from the replayed rain",
            {"river": "湘江", "warning_level": warning, "guarantee_level": guarantee,
             "replayed": "系统生成（由回放降水推算）/ generated from the replayed rain",
             "feed": {"kind": "river", "series": "Guangzhou", "base": base}}))
    for n, (district, city, drain) in enumerate(UNDERPASS_SITES, start=1):
        lon, lat, street = site_in_street(rnd, district)
        road = rnd.choice(names.ROAD_STEMS) + rnd.choice(("路", "大道", "东路", "西路"))
        out.append(DemoDevice(
            f"DEMO-WLOG-{n:02d}", "waterlogging_sensor", "housing_officer", "housing", f"{road}下穿通道渍水监测点（演示）",
            lon, lat,
            f"{GENERATED}。渍水深度由回放的{CITY_NAMES[city]}降水按简单模型推算（排水能力 {drain:g} mm/h），系统生成 / "
            f"depth generated from {city}'s replayed rain (drainage {drain:g} mm/h), see docs/iot/demo.md",
            {"street": street, "district_code": district, "underpass": f"{road}下穿通道",
             "replayed": "系统生成（由回放降水推算）/ generated from the replayed rain",
             "feed": {"kind": "waterlogging", "series": city, "drain_mm_h": drain}}))
    return out


@hookimpl
def zhicheng_demo_data(context) -> None:
    from zhicheng.demo.iot_replay import DemoRule, ensure_devices, ensure_rules

    done = ensure_devices(context, devices())
    # after the history, so the alarms come from the replay: waterlogging 15 cm and 30 cm at every underpass, 30 mm
    # of rain in an hour, and each river station's own 警戒水位
    wanted = [DemoRule("flood_waterlogging_15cm", "housing_officer", "housing"),
              DemoRule("flood_waterlogging_30cm", "housing_officer", "housing"),
              DemoRule("flood_rain_1h_30mm", "water_officer", "water")]
    wanted += [DemoRule("flood_river_warning_level", "water_officer", "water", f"DEMO-LEVEL-{n:02d}",
                        {"value": warning, "clear": round(warning - 0.2, 2)})
               for n, (_name, _lon, _lat, _base, warning, _guarantee) in enumerate(RIVER_SITES, start=1)]
    context.counts["flood_rules"] = ensure_rules(context, wanted)
    context.counts["flood_devices"] = done["devices"]
    context.counts["flood_observations"] = done["observations"]
