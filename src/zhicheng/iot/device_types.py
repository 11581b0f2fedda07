"""Device types: templates of datastreams (observed property, UCUM unit, valid range, sampling interval) that
scenario plugins bring through the `zhicheng_device_types` hook, validated when loaded."""

from __future__ import annotations

import math
import re

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from zhicheng.core.errors import Invalid, NotFound

# the observation types of SensorThings 1.1 (OGC O&M 2.0) this slice stores
MEASUREMENT = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"
COUNT = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_CountObservation"
TRUTH = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_TruthObservation"
CATEGORY = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_CategoryObservation"
OBSERVATION = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Observation"
OBSERVATION_TYPES = {"measurement": MEASUREMENT, "count": COUNT, "truth": TRUTH, "category": CATEGORY,
                     "observation": OBSERVATION}
NUMERIC_TYPES = (MEASUREMENT, COUNT)
UCUM = "http://unitsofmeasure.org/ucum.html#para-"  # a UCUM code's definition: the code itself after the page
KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class Unit(BaseModel):
    """A unit of measurement: its UCUM code (ug/m3, mm, m, Cel ...), the symbol people read and its name."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=64)
    symbol: str = Field(default="", max_length=32)  # empty for a dimensionless unit
    name: str = Field(min_length=1, max_length=100)

    def as_sta(self) -> dict:
        """SensorThings' unitOfMeasurement: name, symbol and the UCUM definition."""
        return {"name": self.name, "symbol": self.symbol, "definition": f"ucum:{self.code}"}


class ObservedPropertyTemplate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    definition: str = Field(min_length=1, max_length=300)
    description: str = ""


class DatastreamTemplate(BaseModel):
    """One datastream every device of the type has."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=KEY.pattern)
    observed_property: ObservedPropertyTemplate
    unit: Unit
    observation_type: str = "measurement"
    valid_min: float | None = None
    valid_max: float | None = None
    sampling_interval: int = Field(gt=0, le=31 * 86400)  # seconds
    hot_days: int | None = Field(default=None, ge=1, le=36_500)  # days kept in the hot store; None: the type's
    retention_days: int | None = Field(default=None, ge=1, le=36_500)  # days kept in the lake; None: the type's

    @model_validator(mode="after")
    def _check(self) -> DatastreamTemplate:
        self.observation_type = OBSERVATION_TYPES.get(self.observation_type, self.observation_type)
        if self.observation_type not in OBSERVATION_TYPES.values():
            raise ValueError(f"unknown observation_type {self.observation_type!r}")
        for bound in (self.valid_min, self.valid_max):
            if bound is not None and not math.isfinite(bound):
                raise ValueError("valid_min and valid_max must be finite")
        if self.valid_min is not None and self.valid_max is not None and self.valid_min > self.valid_max:
            raise ValueError("valid_min is above valid_max")
        return self


class DeviceType(BaseModel):
    """A kind of device (国控空气站, 雨量计 ...): its key, Chinese and English names and its datastreams."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=KEY.pattern)
    name: str = Field(min_length=1, max_length=100)
    name_en: str = Field(min_length=1, max_length=100)
    description: str = ""
    datastreams: list[DatastreamTemplate] = Field(min_length=1)
    hot_days: int = Field(default=90, ge=1, le=36_500)  # observations older stay only in the lake (iot/lake.py)
    retention_days: int = Field(default=3650, ge=1, le=36_500)  # lake partitions older are deleted

    @model_validator(mode="after")
    def _unique_names(self) -> DeviceType:
        names = [d.name for d in self.datastreams]
        if len(names) != len(set(names)):
            raise ValueError("datastream names repeat")
        return self

    @property
    def sampling_interval(self) -> int:
        """The shortest sampling interval of its datastreams (seconds)."""
        return min(d.sampling_interval for d in self.datastreams)


def validate(plugin: str, given: dict) -> DeviceType:
    """`given` as a DeviceType, or Invalid naming the plugin, the type and the field at fault."""
    try:
        return given if isinstance(given, DeviceType) else DeviceType.model_validate(given)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        key = given.get("key") if isinstance(given, dict) else None
        raise Invalid(f"插件 {plugin} 的设备类型 {key} 无效：{where} {first['msg']}",
                      f"plugin {plugin}: device type {key} is invalid: {where} {first['msg']}",
                      code="invalid_device_type", field=where) from None


def device_types(plugins=None) -> dict[str, DeviceType]:
    """Every device type the plugins bring, by key, validated (a repeated key is an error naming both plugins)."""
    from zhicheng.hookspecs import by_plugin, installed

    pm = plugins if plugins is not None else installed()
    found: dict[str, tuple[str, DeviceType]] = {}
    for plugin, given in by_plugin(pm.hook.zhicheng_device_types):
        for item in given or ():
            dt = validate(plugin, item)
            if dt.key in found:
                raise Invalid(f"设备类型 {dt.key} 由插件 {found[dt.key][0]} 和 {plugin} 重复定义",
                              f"device type {dt.key} is defined by both {found[dt.key][0]} and {plugin}",
                              code="invalid_device_type", field="key")
            found[dt.key] = (plugin, dt)
    return {key: dt for key, (_plugin, dt) in found.items()}


def get(key: str, plugins=None) -> DeviceType:
    """The device type `key`, or NotFound naming the field."""
    found = device_types(plugins).get(key)
    if found is None:
        raise NotFound(f"设备类型 {key} 不存在", f"device type {key} not found", field="device_type")
    return found
