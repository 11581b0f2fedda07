"""The environment scenario's demo devices (`zhicheng_demo_data`): 12 air stations replaying the UCI Beijing
stations, 4 water-quality and 4 noise stations, at generated sites in Changsha, registered by 市生态环境局's data
officer with three days of history."""

from __future__ import annotations

import random

from zhicheng.hookspecs import hookimpl

OFFICER, DEPARTMENT = "eco_officer", "eco"
SEED = 20260514
# each UCI station's series on a generated site in one of Changsha's real districts
AIR_SITES = (("Aotizhongxin", "430105"), ("Changping", "430112"), ("Dingling", "430182"), ("Dongsi", "430102"),
             ("Guanyuan", "430103"), ("Gucheng", "430104"), ("Huairou", "430181"), ("Nongzhanguan", "430111"),
             ("Shunyi", "430121"), ("Tiantan", "430103"), ("Wanliu", "430104"), ("Wanshouxigong", "430111"))
# approximate river-bank points (generated sites, not the real monitoring sections): name, river, lon, lat
WATER_SITES = (("湘江橘子洲断面", "湘江", 112.9585, 28.1860), ("湘江暮云断面", "湘江", 112.9530, 28.0560),
               ("湘江三汊矶断面", "湘江", 112.9470, 28.2750), ("浏阳河榔梨断面", "浏阳河", 113.1050, 28.1960))
WATER_BASE = {"ph": 7.4, "do": 7.2, "codmn": 2.6, "nh3n": 0.32, "tp": 0.08, "tn": 1.4, "water_temperature": 14.0,
              "turbidity": 18.0, "conductivity": 260.0}
# noise stations: district, GB 3096 functional zone and its daytime limit (dB(A))
NOISE_SITES = (("430102", "1", 55.0), ("430103", "2", 60.0), ("430104", "4a", 70.0), ("430111", "3", 65.0))


def devices() -> list:
    """The environment demo devices (deterministic: the same sites on every load)."""
    from zhicheng.demo.generators import BEIJING_STATIONS
    from zhicheng.demo.iot_replay import AIR_CREDIT, GENERATED, DemoDevice, site_in_street

    rnd = random.Random(SEED)
    out = []
    for n, (station, district) in enumerate(AIR_SITES, start=1):
        lon, lat, street = site_in_street(rnd, district)
        zh = BEIJING_STATIONS[station]
        out.append(DemoDevice(
            f"DEMO-AIR-{n:02d}", "air_station", OFFICER, DEPARTMENT, f"{street}空气自动站（演示）", lon, lat,
            f"{GENERATED}。回放北京{zh}站（{station}）实测小时数据 / replays the real hourly series of Beijing's "
            f"{station} station: {AIR_CREDIT}",
            {"street": street, "district_code": district, "station": station, "replayed": AIR_CREDIT,
             "feed": {"kind": "air", "series": station}}))
    for n, (name, river, lon, lat) in enumerate(WATER_SITES, start=1):
        out.append(DemoDevice(
            f"DEMO-WQ-{n:02d}", "water_quality_station", OFFICER, DEPARTMENT, f"{name}水质自动站（演示）", lon, lat,
            f"{GENERATED}（{river}岸边近似位置）。数值为系统生成 / generated values", {
                "river": river, "replayed": "系统生成 / generated",
                "feed": {"kind": "water_quality", "base": WATER_BASE}}))
    for n, (district, zone, day_limit) in enumerate(NOISE_SITES, start=1):
        lon, lat, street = site_in_street(rnd, district)
        out.append(DemoDevice(
            f"DEMO-NOISE-{n:02d}", "noise_station", OFFICER, DEPARTMENT, f"{street}噪声自动站（演示）", lon, lat,
            f"{GENERATED}。{zone}类声环境功能区；数值为系统生成 / zone {zone}; generated values", {
                "street": street, "district_code": district, "functional_zone": zone,
                "replayed": "系统生成 / generated", "feed": {"kind": "noise", "zone_day": day_limit}}))
    return out


@hookimpl
def zhicheng_demo_data(context) -> None:
    from zhicheng.demo.iot_replay import DemoRule, ensure_devices, ensure_rules

    done = ensure_devices(context, devices())
    # after the history, so the alarms come from the replay: PM2.5 > 75 μg/m³ for 2 h at every air station
    context.counts["environment_rules"] = ensure_rules(context, [DemoRule("env_pm25_2h", OFFICER, DEPARTMENT)])
    context.counts["environment_devices"] = done["devices"]
    context.counts["environment_observations"] = done["observations"]
