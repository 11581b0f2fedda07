"""The environment scenario's device types: national air station, water-quality automatic station and noise station,
as the `zhicheng_device_types` hook brings them (checked by zhicheng.iot.device_types when loaded).

Observed properties are named by our own stable URNs, `urn:zhicheng:property:<key>` (one namespace for every
scenario, so that one property is one iot_observed_properties row however many types measure it). Units are UCUM
codes; a unit UCUM lacks is an annotation (`{NTU}`). Valid ranges are the analysers' measuring ranges: PM10/PM2.5
0–1000 µg/m³ (HJ 653), SO2, NO2, O3 0–500 nmol/mol and CO 0–50 µmol/mol (HJ 654), given here as mass concentration
at 273 K; the water analysers' and sound level meters' usual full scales. A value outside is quarantined at ingest."""

from __future__ import annotations

HOUR = 3600
FOUR_HOURS = 4 * HOUR

UG_M3 = {"code": "ug/m3", "symbol": "μg/m³", "name": "微克每立方米"}
MG_M3 = {"code": "mg/m3", "symbol": "mg/m³", "name": "毫克每立方米"}
MG_L = {"code": "mg/L", "symbol": "mg/L", "name": "毫克每升"}
CEL = {"code": "Cel", "symbol": "℃", "name": "摄氏度"}
DBA = {"code": "dB", "symbol": "dB(A)", "name": "分贝（A 计权）"}


def property_(key: str, name: str, description: str = "") -> dict:
    """An observed property under our URN namespace."""
    return {"name": name, "definition": f"urn:zhicheng:property:{key}", "description": description}


def stream(name: str, prop: dict, unit: dict, lo: float | None, hi: float | None, interval: int,
           kind: str = "measurement") -> dict:
    """One datastream template as the hook gives it."""
    return {"name": name, "observed_property": prop, "unit": unit, "observation_type": kind, "valid_min": lo,
            "valid_max": hi, "sampling_interval": interval}


AIR_STATION = {
    "key": "air_station", "name": "国控空气自动监测站", "name_en": "National air quality monitoring station",
    "description": "HJ 193/HJ 655 自动监测：六项污染物小时值与气象参数 / hourly six pollutants and weather",
    "datastreams": [
        stream("pm25", property_("pm25", "PM2.5", "细颗粒物 fine particulate matter"), UG_M3, 0, 1000, HOUR),
        stream("pm10", property_("pm10", "PM10", "可吸入颗粒物 inhalable particulate matter"), UG_M3, 0, 1000, HOUR),
        stream("so2", property_("so2", "SO2", "二氧化硫 sulphur dioxide"), UG_M3, 0, 1430, HOUR),
        stream("no2", property_("no2", "NO2", "二氧化氮 nitrogen dioxide"), UG_M3, 0, 1030, HOUR),
        stream("o3", property_("o3", "O3", "臭氧 ozone"), UG_M3, 0, 1070, HOUR),
        stream("co", property_("co", "CO", "一氧化碳 carbon monoxide"), MG_M3, 0, 62.5, HOUR),
        stream("temperature", property_("air_temperature", "气温", "air temperature"), CEL, -60, 60, HOUR),
        stream("humidity", property_("relative_humidity", "相对湿度", "relative humidity"),
               {"code": "%", "symbol": "%", "name": "百分比"}, 0, 100, HOUR),
        stream("pressure", property_("air_pressure", "气压", "atmospheric pressure"),
               {"code": "hPa", "symbol": "hPa", "name": "百帕"}, 500, 1100, HOUR),
        stream("wind_speed", property_("wind_speed", "风速", "wind speed"),
               {"code": "m/s", "symbol": "m/s", "name": "米每秒"}, 0, 75, HOUR),
        stream("wind_direction", property_("wind_direction", "风向", "wind direction, clockwise from north"),
               {"code": "deg", "symbol": "°", "name": "度"}, 0, 360, HOUR),
    ],
}

WATER_STATION = {
    "key": "water_quality_station", "name": "水质自动监测站", "name_en": "Automatic water quality monitoring station",
    "description": "HJ 915 地表水自动监测：五参数、高锰酸盐指数、氨氮、总磷、总氮，每 4 小时 / every 4 hours",
    "datastreams": [
        stream("ph", property_("ph", "pH", "酸碱度"), {"code": "[pH]", "symbol": "", "name": "pH"}, 0, 14,
               FOUR_HOURS),
        stream("do", property_("dissolved_oxygen", "溶解氧", "dissolved oxygen"), MG_L, 0, 20, FOUR_HOURS),
        stream("codmn", property_("codmn", "高锰酸盐指数", "permanganate index (CODMn)"), MG_L, 0, 100, FOUR_HOURS),
        stream("nh3n", property_("nh3n", "氨氮", "ammonia nitrogen (NH3-N)"), MG_L, 0, 100, FOUR_HOURS),
        stream("tp", property_("total_phosphorus", "总磷", "total phosphorus (TP)"), MG_L, 0, 10, FOUR_HOURS),
        stream("tn", property_("total_nitrogen", "总氮", "total nitrogen (TN)"), MG_L, 0, 100, FOUR_HOURS),
        stream("water_temperature", property_("water_temperature", "水温", "water temperature"), CEL, -5, 50,
               FOUR_HOURS),
        stream("turbidity", property_("turbidity", "浊度", "turbidity"),
               {"code": "{NTU}", "symbol": "NTU", "name": "散射浊度单位"}, 0, 4000, FOUR_HOURS),
        stream("conductivity", property_("conductivity", "电导率", "electrical conductivity"),
               {"code": "uS/cm", "symbol": "μS/cm", "name": "微西门子每厘米"}, 0, 100000, FOUR_HOURS),
    ],
}

NOISE_STATION = {
    "key": "noise_station", "name": "噪声自动监测站", "name_en": "Automatic noise monitoring station",
    "description": "GB 3096 功能区声环境自动监测，小时等效声级 / hourly equivalent sound level",
    "datastreams": [
        stream("leq", property_("leq_a", "等效连续 A 声级 Leq", "A-weighted equivalent continuous sound level"), DBA,
               20, 140, HOUR),
        stream("lmax", property_("lmax_a", "最大 A 声级 Lmax", "maximum A-weighted sound level"), DBA, 20, 140, HOUR),
    ],
}

DEVICE_TYPES = [AIR_STATION, WATER_STATION, NOISE_STATION]
