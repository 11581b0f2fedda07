"""API shapes of the iot domain: device types, devices (with the token shown once), ingest outcomes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from zhicheng.core.clock import ApiDatetime


class DeviceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    department_id: int = Field(description="所属部门 / owning department")
    device_type: str = Field(max_length=64, description="设备类型键 / device type key")
    code: str = Field(min_length=1, max_length=64, description="设备编码（唯一）/ device code (unique)")
    name: str = Field(min_length=1, max_length=200, description="设备名称 / device name")
    lon: float = Field(description="经度（CGCS2000）/ longitude (CGCS2000)")
    lat: float = Field(description="纬度（CGCS2000）/ latitude (CGCS2000)")
    description: str = Field(default="", max_length=2000)
    open: bool = Field(default=False, description="数据向所有人开放 / data open to everyone")


class DatastreamOut(BaseModel):
    id: int
    key: str
    name: str
    unit_of_measurement: dict
    observation_type: str
    valid_min: float | None
    valid_max: float | None
    sampling_interval: int


class DeviceOut(BaseModel):
    id: int
    code: str
    name: str
    department_id: int
    device_type: str
    enabled: bool
    open: bool
    online: bool = Field(description="在线：3 个采样间隔内有数据 / data within 3 sampling intervals")
    last_seen: ApiDatetime | None
    created_at: ApiDatetime
    token_rotated_at: ApiDatetime
    datastreams: list[DatastreamOut]


class DeviceWithToken(DeviceOut):
    token: str = Field(description="设备令牌，仅显示这一次 / the device token, shown this once")


class BulkOut(BaseModel):
    count: int
    devices: list[DeviceWithToken]


class Refusal(BaseModel):
    index: int
    reason: str
    message: str


class IngestOut(BaseModel):
    stored: int = Field(description="新存入的观测数 / observations stored")
    duplicates: int = Field(description="已存在而未重复存入的 / repeats, not stored twice")
    quarantined: int = Field(description="被隔离的 / quarantined")
    ids: list[int]
    refused: list[Refusal]


class DeviceTypeOut(BaseModel):
    key: str
    name: str
    name_en: str
    description: str
    datastreams: list[dict]


class QuarantinedOut(BaseModel):
    id: int
    thing_id: int | None
    datastream_id: int | None
    datastream_ref: str | None
    channel: str
    reason: str
    message: str
    received_at: ApiDatetime


