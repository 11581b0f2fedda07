"""API shapes of the environment calculators (Pydantic v2): what each takes and what it answers."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Conc = float | None


def _conc(zh: str, en: str) -> Conc:
    return Field(None, description=f"{zh} / {en}")


class AqiRequest(BaseModel):
    """The concentrations of an hour (实时报) or a day (日报); a pollutant left out is reported as missing."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"kind": "hour", "so2": 6, "no2": 66, "co": 1.0, "o3": 34, "pm10": 55, "pm25": 39},
        {"kind": "day", "so2": 44, "no2": 85, "co": 2.3, "o3_1h": 72, "o3_8h": 50, "pm10": 171, "pm25": 155}]})

    kind: Literal["hour", "day"] = Field("hour", description="hour：实时报（1小时值）；day：日报（24小时值） / hour: "
                                                              "real-time report (1-hour values); day: daily report")
    so2: Conc = _conc("SO2，µg/m³（实时报 1小时平均，日报 24小时平均）", "SO2 µg/m³ (1-hour, or 24-hour mean for a day)")
    no2: Conc = _conc("NO2，µg/m³", "NO2 µg/m³")
    co: Conc = _conc("CO，mg/m³", "CO mg/m³")
    o3: Conc = _conc("O3 1小时平均，µg/m³（仅实时报）", "O3 1-hour, µg/m³ (real-time report only)")
    pm10: Conc = _conc("PM10，µg/m³", "PM10 µg/m³")
    pm25: Conc = _conc("PM2.5，µg/m³", "PM2.5 µg/m³")
    so2_24h: Conc = _conc("SO2 24小时平均，µg/m³（实时报：SO2 1小时平均高于 800 时使用）",
                          "SO2 24-hour mean, µg/m³ (real-time report: used when SO2 1-hour is above 800)")
    o3_1h: Conc = _conc("O3 日最大1小时平均，µg/m³（仅日报）", "O3, the day's largest 1-hour value, µg/m³ (daily only)")
    o3_8h: Conc = _conc("O3 日最大8小时滑动平均，µg/m³（仅日报）",
                        "O3, the day's largest 8-hour moving mean, µg/m³ (daily only)")


class SubIndexOut(BaseModel):
    pollutant: str
    name: str
    name_en: str
    column: str | None = Field(description="HJ 633 表1 所用的列 / the Table 1 column read (None: not indexed)")
    averaging: str | None
    unit: str
    concentration: int | float
    used: int | float | None = Field(description="按发布修约后参与计算的浓度 / the concentration as published and indexed")
    iaqi: int | None
    above_table: bool
    note: str | None
    note_en: str | None


class Note(BaseModel):
    zh: str
    en: str


class AqiOut(BaseModel):
    kind: str
    standard: str
    aqi: int
    level: int = Field(description="1-6：一级…六级")
    level_name: str
    category: str
    category_en: str
    colour: str
    colour_en: str
    rgb: list[int]
    hex: str
    health_effect: str
    health_effect_en: str
    advice: str
    advice_en: str
    primary_pollutants: list[str] = Field(description="首要污染物（AQI 大于 50 时）/ primary pollutants (AQI > 50)")
    primary_pollutant_names: list[str]
    primary_pollutant_names_en: list[str]
    exceedances: list[str] = Field(description="超标污染物（IAQI 大于 100）/ pollutants with IAQI above 100")
    pollutants: dict[str, SubIndexOut]
    missing: list[str]
    not_computed: list[str]
    notes: list[Note]


class WaterRequest(BaseModel):
    """An automatic station's reading (or a sample) of the basic parameters of GB 3838-2002 Table 1, in mg/L
    (pH without unit, faecal coliforms per litre)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"water_body": "river", "target": "III", "ph": 7.4, "do": 6.8, "codmn": 3.1, "nh3n": 0.62, "tp": 0.11}]})

    water_body: Literal["river", "lake"] = Field("river", description="river：河流；lake：湖泊、水库（总磷、总氮限值不同）")
    target: Literal["I", "II", "III", "IV", "V"] | None = Field("III", description="水质目标类别 / target class")
    ph: Conc = _conc("pH 值", "pH")
    do: Conc = _conc("溶解氧", "dissolved oxygen")
    codmn: Conc = _conc("高锰酸盐指数", "permanganate index")
    cod: Conc = _conc("化学需氧量", "COD")
    bod5: Conc = _conc("五日生化需氧量", "BOD5")
    nh3n: Conc = _conc("氨氮", "ammonia nitrogen")
    tp: Conc = _conc("总磷（以 P 计）", "total phosphorus")
    tn: Conc = _conc("总氮（以 N 计；限值适用于湖泊、水库）", "total nitrogen (limits for lakes and reservoirs)")
    cu: Conc = _conc("铜", "copper")
    zn: Conc = _conc("锌", "zinc")
    fluoride: Conc = _conc("氟化物（以 F- 计）", "fluoride")
    se: Conc = _conc("硒", "selenium")
    arsenic: Conc = _conc("砷", "arsenic")
    hg: Conc = _conc("汞", "mercury")
    cd: Conc = _conc("镉", "cadmium")
    cr6: Conc = _conc("铬（六价）", "chromium (VI)")
    pb: Conc = _conc("铅", "lead")
    cyanide: Conc = _conc("氰化物", "cyanide")
    volatile_phenol: Conc = _conc("挥发酚", "volatile phenols")
    petroleum: Conc = _conc("石油类", "petroleum")
    las: Conc = _conc("阴离子表面活性剂", "anionic surfactants")
    sulfide: Conc = _conc("硫化物", "sulfide")
    fecal_coliform: Conc = _conc("粪大肠菌群，个/L", "faecal coliforms per litre")


class ParameterClassOut(BaseModel):
    parameter: str
    number: int
    name: str
    name_en: str
    unit: str
    value: int | float
    water_class: str
    limit: str | None
    counted: bool
    exceeds_target: bool
    target_limit: str | None
    exceedance_multiple: float | None


class WaterOut(BaseModel):
    standard: str
    water_body: str
    water_class: str = Field(description="I、II、III、IV、V 或 劣V")
    water_class_en: str
    use: str
    use_en: str
    deciding: list[str] = Field(description="定类参数 / the parameters in the water's class")
    target: str | None
    meets_target: bool | None
    exceeding: list[str] = Field(description="劣于目标类别的参数 / parameters worse than the target class")
    parameters: dict[str, ParameterClassOut]
    notes: list[Note]


class NoiseRequest(BaseModel):
    """A measured equivalent sound level in a GB 3096-2008 acoustic functional zone, by day or night."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"zone": "2", "leq": 62.4, "period": "day"}, {"zone": "4a", "leq": 58.1, "time": "23:30", "lmax": 72}]})

    zone: str = Field(..., max_length=8, description="声环境功能区 / zone: 0 1 2 3 4a 4b")
    leq: float = Field(..., description="等效声级 LAeq，dB(A) / equivalent sound level")
    period: Literal["day", "night"] | None = Field(None, description="day 昼间 06:00-22:00；night 夜间 22:00-06:00")
    time: str | None = Field(None, max_length=8, description="测量时间 HH:MM（代替 period）/ time of the measurement")
    lmax: float | None = Field(None, description="夜间突发噪声的最大声级，dB(A) / maximum level of a sudden noise")


class NoiseOut(BaseModel):
    standard: str
    unit: str
    zone: str
    zone_name: str
    zone_name_en: str
    area: str
    area_en: str
    period: str
    period_name: str
    hours: str
    limit: int
    leq: int | float
    compliant: bool
    exceedance_db: int | float
    lmax: int | float | None
    lmax_limit: int | None
    lmax_compliant: bool | None
    lmax_exceedance_db: int | float | None
    notes: list[Note]
