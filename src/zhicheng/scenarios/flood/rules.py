"""The flood-control scenario's rule templates (`zhicheng_rules`): waterlogging depth 15 cm / 30 cm, a river level
at its 警戒水位, 1-hour rain of 30 mm (暴雨 short-duration threshold), a fast pipe-pressure drop and an offline
waterlogging sensor."""

from __future__ import annotations

RULE_TEMPLATES = [
    {"key": "flood_waterlogging_15cm", "name": "道路积水 ≥ 15 cm", "name_en": "Standing water of 15 cm or more",
     "device_type": "waterlogging_sensor", "kind": "threshold", "severity": "major",
     "description": "15 cm：小型车辆通行受阻；回落到 10 cm 以下恢复 / small cars impeded; clears below 10 cm",
     "params": {"datastream": "water_depth", "op": ">=", "value": 15, "clear": 10}},
    {"key": "flood_waterlogging_30cm", "name": "道路积水 ≥ 30 cm（建议封闭）",
     "name_en": "Standing water of 30 cm or more (close the road)", "device_type": "waterlogging_sensor",
     "kind": "threshold", "severity": "critical",
     "description": "30 cm：建议封闭道路或下穿通道 / close the road or underpass",
     "params": {"datastream": "water_depth", "op": ">=", "value": 30, "clear": 25}},
    {"key": "flood_river_warning_level", "name": "水位达到警戒水位",
     "name_en": "Water level at the warning level", "device_type": "water_level_station", "kind": "threshold",
     "severity": "critical",
     "description": "警戒水位因站而异：由模板建规则后把 value 改为该站的警戒水位（1985 高程，米）/ set value to the "
                    "station's warning level (m, 1985 datum)",
     "params": {"datastream": "water_level", "op": ">=", "value": 35.0, "clear": 34.8}},
    {"key": "flood_rain_1h_30mm", "name": "1 小时降雨 ≥ 30 mm", "name_en": "Rain of 30 mm or more in one hour",
     "device_type": "rain_gauge", "kind": "threshold", "severity": "major",
     "description": "短时强降水 / short-duration heavy rain",
     "params": {"datastream": "precipitation_1h", "op": ">=", "value": 30}},
    {"key": "flood_pipe_pressure_drop", "name": "管网压力骤降（每小时 ≥ 0.1 MPa）",
     "name_en": "Pipe pressure falling by 0.1 MPa an hour or faster", "device_type": "pipe_pressure_sensor",
     "kind": "rate", "severity": "major", "description": "可能爆管或大量漏失 / a burst or a large leak",
     "params": {"datastream": "pressure", "direction": "fall", "amount": 0.1, "per": 3600}},
    {"key": "flood_waterlogging_offline", "name": "渍水监测点 30 分钟无数据",
     "name_en": "Waterlogging sensor silent for 30 minutes", "device_type": "waterlogging_sensor",
     "kind": "no_data", "severity": "minor", "params": {"datastream": "water_depth", "after": 1800}},
]
