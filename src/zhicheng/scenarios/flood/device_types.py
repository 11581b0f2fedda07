"""The flood-control scenario's device types: rain gauge, river/lake water level station, waterlogging depth sensor,
pipe-network pressure sensor, manhole cover and smart pole, as the `zhicheng_device_types` hook brings them.

Observed properties use the URNs the environment scenario uses (`urn:zhicheng:property:<key>`); units are UCUM codes.
Water levels are heights above the 1985 national height datum (1985 国家高程基准); a station's 警戒水位 and 保证水位
are not datastreams and wait for the rules slice."""

from __future__ import annotations

from zhicheng.scenarios.environment.device_types import CEL, HOUR, property_, stream

FIVE_MINUTES = 300
MM = {"code": "mm", "symbol": "mm", "name": "毫米"}
CM = {"code": "cm", "symbol": "cm", "name": "厘米"}
DEG = {"code": "deg", "symbol": "°", "name": "度"}
NONE = {"code": "1", "symbol": "", "name": "无量纲"}  # truth and category observations

RAIN_GAUGE = {
    "key": "rain_gauge", "name": "雨量站", "name_en": "Rain gauge",
    "description": "翻斗式雨量计：每 5 分钟与每小时降水量 / precipitation per 5 minutes and per hour",
    "datastreams": [
        stream("precipitation_5min", property_("precipitation", "降水量", "precipitation amount in the interval"),
               MM, 0, 50, FIVE_MINUTES),
        stream("precipitation_1h", property_("precipitation_1h", "小时降水量", "precipitation amount in one hour"),
               MM, 0, 300, HOUR),
    ],
}

WATER_LEVEL_STATION = {
    "key": "water_level_station", "name": "水位站", "name_en": "River/lake water level station",
    "description": "江河湖库水位，1985 国家高程基准 / water level above the 1985 national height datum",
    "datastreams": [
        stream("water_level", property_("water_level", "水位", "water level above the 1985 national height datum"),
               {"code": "m", "symbol": "m", "name": "米"}, -20, 5000, FIVE_MINUTES),
    ],
}

WATERLOGGING_SENSOR = {
    "key": "waterlogging_sensor", "name": "渍水监测点", "name_en": "Road/underpass waterlogging depth sensor",
    "description": "道路、下穿通道积水深度 / standing water depth on a road or in an underpass",
    "datastreams": [
        stream("water_depth", property_("waterlogging_depth", "渍水深度", "standing water depth above the road"),
               CM, 0, 300, FIVE_MINUTES),
    ],
}

PIPE_PRESSURE_SENSOR = {
    "key": "pipe_pressure_sensor", "name": "管网压力监测点", "name_en": "Pipe-network pressure sensor",
    "description": "供排水管网压力 / pressure in the water supply or drainage network",
    "datastreams": [
        stream("pressure", property_("pipe_pressure", "管网压力", "gauge pressure in the pipe"),
               {"code": "MPa", "symbol": "MPa", "name": "兆帕"}, 0, 2.5, FIVE_MINUTES),
    ],
}

MANHOLE_COVER = {
    "key": "manhole_cover", "name": "智能井盖", "name_en": "Manhole cover",
    "description": "井盖倾斜、开启状态与井内水位 / tilt, open state and the water level in the well",
    "datastreams": [
        stream("tilt", property_("tilt_angle", "倾角", "tilt of the cover from horizontal"), DEG, 0, 90, HOUR),
        stream("open", property_("cover_open", "井盖开启", "the cover is open or displaced"), NONE, None, None, HOUR,
               kind="truth"),
        stream("state", property_("cover_state", "井盖状态", "normal | tilted | open | missing"), NONE, None, None,
               HOUR, kind="category"),
        stream("well_water_level", property_("well_water_level", "井内水位", "water depth above the well's bottom"),
               CM, 0, 1000, HOUR),
    ],
}

SMART_POLE = {
    "key": "smart_pole", "name": "智慧灯杆", "name_en": "Smart pole",
    "description": "照明、能耗、倾斜与环境感知 / lighting, energy, tilt and ambient sensing",
    "datastreams": [
        stream("lamp_on", property_("lamp_on", "灯亮", "the lamp is on"), NONE, None, None, HOUR, kind="truth"),
        stream("dimming", property_("dimming_level", "调光比", "lamp output as a share of full"),
               {"code": "%", "symbol": "%", "name": "百分比"}, 0, 100, HOUR),
        stream("power", property_("electric_power", "功率", "electric power drawn"),
               {"code": "W", "symbol": "W", "name": "瓦"}, 0, 5000, HOUR),
        stream("tilt", property_("tilt_angle", "倾角", "tilt of the pole from vertical"), DEG, 0, 90, HOUR),
        stream("temperature", property_("air_temperature", "气温", "air temperature"), CEL, -60, 60, HOUR),
    ],
}

DEVICE_TYPES = [RAIN_GAUGE, WATER_LEVEL_STATION, WATERLOGGING_SENSOR, PIPE_PRESSURE_SENSOR, MANHOLE_COVER, SMART_POLE]
