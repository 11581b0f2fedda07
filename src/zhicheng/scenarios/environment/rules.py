"""The environment scenario's rule templates (`zhicheng_rules`): PM2.5 over the grade II 24-hour limit for two hours,
AQI levels by PM2.5 (HJ 633), surface-water class III exceedance (GB 3838) and the night noise limit (GB 3096)."""

from __future__ import annotations

NIGHT = [{"start": "22:00", "end": "06:00"}]  # GB 3096: 夜间 22:00–06:00, Beijing time

RULE_TEMPLATES = [
    {"key": "env_pm25_2h", "name": "PM2.5 小时浓度超 75 μg/m³ 持续 2 小时",
     "name_en": "PM2.5 hourly above 75 μg/m³ for 2 hours", "device_type": "air_station", "kind": "threshold",
     "severity": "major",
     "description": "GB 3095 二级 24 小时平均浓度限值 75 μg/m³；回落到 65 以下才恢复（滞回）/ grade II limit; clears "
                    "below 65 (hysteresis)",
     "params": {"datastream": "pm25", "op": ">", "value": 75, "clear": 65, "for_seconds": 7200}},
    {"key": "env_aqi_moderate", "name": "PM2.5 达到中度污染（AQI > 150）",
     "name_en": "PM2.5 at moderate pollution (AQI above 150)", "device_type": "air_station", "kind": "threshold",
     "severity": "major", "description": "HJ 633：PM2.5 1 小时浓度 > 115 μg/m³ 即 IAQI > 150 / IAQI above 150",
     "params": {"datastream": "pm25", "op": ">", "value": 115, "clear": 105}},
    {"key": "env_aqi_severe", "name": "PM2.5 达到重度污染（AQI > 200）",
     "name_en": "PM2.5 at heavy pollution (AQI above 200)", "device_type": "air_station", "kind": "threshold",
     "severity": "critical", "description": "HJ 633：PM2.5 1 小时浓度 > 150 μg/m³ 即 IAQI > 200 / IAQI above 200",
     "params": {"datastream": "pm25", "op": ">", "value": 150, "clear": 140}},
    {"key": "env_water_class3", "name": "地表水超 III 类（氨氮或高锰酸盐指数）",
     "name_en": "Surface water worse than class III (NH3-N or CODMn)", "device_type": "water_quality_station",
     "kind": "composite", "severity": "major",
     "description": "GB 3838 III 类限值：氨氮 1.0 mg/L、高锰酸盐指数 6 mg/L、总磷 0.2 mg/L / class III limits",
     "params": {"mode": "any", "conditions": [{"datastream": "nh3n", "op": ">", "value": 1.0},
                                               {"datastream": "codmn", "op": ">", "value": 6},
                                               {"datastream": "tp", "op": ">", "value": 0.2}]}},
    {"key": "env_noise_night", "name": "夜间噪声超 2 类区限值 50 dB(A)",
     "name_en": "Night noise above the class 2 limit of 50 dB(A)", "device_type": "noise_station",
     "kind": "threshold", "severity": "minor",
     "description": "GB 3096 2 类声环境功能区夜间 50 dB(A)，22:00–06:00 生效 / class 2 zone at night",
     "params": {"datastream": "leq", "op": ">", "value": 50}, "windows": NIGHT},
    {"key": "env_air_offline", "name": "空气站 3 小时无数据", "name_en": "Air station silent for 3 hours",
     "device_type": "air_station", "kind": "no_data", "severity": "minor", "params": {"after": 10800}},
]
