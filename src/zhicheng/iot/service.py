"""Devices: register a Thing of a device type (its Location, Sensor and Datastreams), credentials, enable/disable,
bulk provisioning from CSV, liveness (last seen, online/offline); every change audited."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhicheng.accounts import service as accounts
from zhicheng.core import clock
from zhicheng.core.actor import Actor
from zhicheng.core.errors import Conflict, Invalid, NotFound
from zhicheng.iot import access, device_types, tokens
from zhicheng.iot.models import (
    Datastream,
    HistoricalLocation,
    Location,
    ObservedProperty,
    Sensor,
    Thing,
    ThingLocation,
)
from zhicheng.policy import audit
from zhicheng.policy.service import authorize, authorize_audited

CGCS2000 = "http://www.opengis.net/def/crs/EPSG/0/4490"
OFFLINE_AFTER = 3  # sampling intervals without data before a device counts as offline
CSV_COLUMNS = ("code", "name", "device_type", "lon", "lat")  # required; description and open are optional
MAX_CSV_ROWS = 10_000


@dataclass
class Registered:
    """A device just registered or re-keyed, with its token (shown this once, never stored)."""

    thing: Thing
    token: str


def point(lon: float, lat: float) -> dict:
    """A GeoJSON point in CGCS2000 (longitude, latitude), checked to be on the Earth."""
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError):
        raise Invalid("坐标须为数字", "coordinates must be numbers", field="lon") from None
    if not (math.isfinite(lon) and -180 <= lon <= 180):
        raise Invalid("经度须在 -180 到 180 之间", "longitude must be within -180..180", field="lon")
    if not (math.isfinite(lat) and -90 <= lat <= 90):
        raise Invalid("纬度须在 -90 到 90 之间", "latitude must be within -90..90", field="lat")
    return {"type": "Point", "coordinates": [lon, lat], "crs": {"type": "name", "properties": {"name": CGCS2000}}}


def _observed_property(db: Session, template: device_types.ObservedPropertyTemplate) -> ObservedProperty:
    found = db.scalar(select(ObservedProperty).where(ObservedProperty.definition == template.definition))
    if found is None:
        found = ObservedProperty(name=template.name, definition=template.definition,
                                 description=template.description)
        db.add(found)
        db.flush()
    return found


def _check_department(db: Session, department_id: int) -> None:
    try:
        accounts.get_department(db, department_id)
    except NotFound:
        raise NotFound(f"部门 {department_id} 不存在", f"department {department_id} not found",
                       field="department_id") from None


def _add_device(db: Session, *, department_id: int, device_type: device_types.DeviceType, code: str, name: str,
                lon: float, lat: float, description: str = "", open: bool = False) -> Registered:
    """The rows of one device, flushed (the caller audits and commits)."""
    code, name = (code or "").strip(), (name or "").strip()
    if not code or len(code) > 64:
        raise Invalid("设备编码须为 1 到 64 个字符", "the device code must be 1 to 64 characters", field="code")
    if not name or len(name) > 200:
        raise Invalid("设备名称须为 1 到 200 个字符", "the device name must be 1 to 200 characters", field="name")
    if db.scalar(select(Thing.id).where(Thing.code == code)) is not None:
        raise Conflict(f"设备编码 {code} 已存在", f"device code {code} already exists", field="code")
    now = clock.now()
    token, digest = tokens.new_token()
    thing = Thing(code=code, name=name, description=description, department_id=department_id,
                  device_type=device_type.key, enabled=True, open=bool(open), token_hash=digest,
                  token_rotated_at=now, created_at=now,
                  properties={"deviceType": device_type.key, "deviceTypeName": device_type.name})
    location = Location(name=name, description=f"{name}的位置", encoding_type="application/geo+json",
                        location=point(lon, lat))
    sensor = Sensor(name=f"{device_type.name} {code}", description=device_type.description or device_type.name_en,
                    encoding_type="text/plain", sensor_metadata=f"{device_type.name_en} ({device_type.key})")
    db.add_all([thing, location, sensor])
    db.flush()
    db.add_all([ThingLocation(thing_id=thing.id, location_id=location.id),
                HistoricalLocation(thing_id=thing.id, location_id=location.id, time=now)])
    for template in device_type.datastreams:
        prop = _observed_property(db, template.observed_property)
        db.add(Datastream(thing_id=thing.id, sensor_id=sensor.id, observed_property_id=prop.id, key=template.name,
                          name=f"{name} {template.observed_property.name}",
                          description=f"{name}的{template.observed_property.name}",
                          unit_of_measurement=template.unit.as_sta(), observation_type=template.observation_type,
                          valid_min=template.valid_min, valid_max=template.valid_max,
                          sampling_interval=template.sampling_interval))
    db.flush()
    return Registered(thing, token)


def register_device(db: Session, *, actor: Actor, department_id: int, device_type: str, code: str, name: str,
                    lon: float, lat: float, description: str = "", open: bool = False, plugins=None) -> Registered:
    """Register a device of `device_type` for a department (its data officer or the admin); returns its token."""
    _check_department(db, department_id)
    authorize_audited(db, actor, "create", access.Target(access.DEVICE, department_id=department_id),
                      audit_action="iot.device.create")
    dtype = device_types.get(device_type, plugins)
    try:
        done = _add_device(db, department_id=department_id, device_type=dtype, code=code, name=name, lon=lon,
                           lat=lat, description=description, open=open)
    except IntegrityError:
        db.rollback()
        raise Conflict(f"设备编码 {code} 已存在", f"device code {code} already exists", field="code") from None
    audit.record(db, actor=actor, action="iot.device.create", target_kind=access.DEVICE, target_id=done.thing.id,
                 detail={"code": done.thing.code, "device_type": dtype.key, "department_id": department_id})
    db.commit()
    return done


def parse_csv(data: bytes) -> list[dict]:
    """The rows of a provisioning CSV (UTF-8, with or without BOM, or GB18030): code,name,device_type,lon,lat
    [,description,open]."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise Invalid("CSV 文件须为 UTF-8 或 GB18030 编码", "the CSV must be UTF-8 or GB18030", field="file")
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        raise Invalid(f"CSV 缺少列：{', '.join(missing)}", f"the CSV lacks the columns {', '.join(missing)}",
                      field="file")
    rows = []
    for row in reader:
        if len(rows) >= MAX_CSV_ROWS:
            raise Invalid(f"CSV 最多 {MAX_CSV_ROWS} 行", f"at most {MAX_CSV_ROWS} rows per CSV", field="file")
        rows.append({k: (v or "").strip() for k, v in row.items() if k})
    if not rows:
        raise Invalid("CSV 没有数据行", "the CSV has no rows", field="file")
    return rows


def register_many(db: Session, *, actor: Actor, department_id: int, rows: list[dict], plugins=None,
                  progress: Callable[[int], None] | None = None) -> list[Registered]:
    """Register every row (all or none: an error names its line); `progress(n)` after each row."""
    _check_department(db, department_id)
    authorize_audited(db, actor, "create", access.Target(access.DEVICE, department_id=department_id),
                      audit_action="iot.device.create")
    types = device_types.device_types(plugins)
    done: list[Registered] = []
    for line, row in enumerate(rows, start=2):
        try:
            dtype = types.get(row.get("device_type", ""))
            if dtype is None:
                raise NotFound(f"设备类型 {row.get('device_type')} 不存在", f"device type {row.get('device_type')} "
                               "not found", field="device_type")
            done.append(_add_device(db, department_id=department_id, device_type=dtype, code=row.get("code", ""),
                                    name=row.get("name", ""), lon=row.get("lon"), lat=row.get("lat"),
                                    description=row.get("description", ""),
                                    open=row.get("open", "").lower() in ("1", "true", "yes", "是")))
        except (Invalid, NotFound, Conflict) as exc:
            db.rollback()
            exc.zh, exc.en = f"第 {line} 行：{exc.zh}", f"line {line}: {exc.en}"
            exc.args = (exc.en,)
            raise
        if progress:
            progress(1)
    audit.record(db, actor=actor, action="iot.device.bulk_create", target_kind=access.DEVICE,
                 detail={"department_id": department_id, "count": len(done),
                         "codes": [d.thing.code for d in done][:100]})
    db.commit()
    return done


def get_device(db: Session, *, actor: Actor, thing_id: int) -> Thing:
    """The device `thing_id` if `actor` may read it (else NotFound, as if it were not there)."""
    thing = db.get(Thing, thing_id)
    if thing is None or not access.may_read(actor, thing):
        raise NotFound(f"设备 {thing_id} 不存在", f"device {thing_id} not found", field="id")
    return thing


def list_devices(db: Session, *, actor: Actor, department_id: int | None = None) -> list[Thing]:
    """The devices `actor` may read (optionally of one department), by code."""
    stmt = select(Thing).where(access.readable_things(actor)).order_by(Thing.code)
    if department_id is not None:
        stmt = stmt.where(Thing.department_id == department_id)
    return list(db.scalars(stmt))


def _managed(db: Session, actor: Actor, thing_id: int, action: str) -> Thing:
    thing = get_device(db, actor=actor, thing_id=thing_id)
    authorize_audited(db, actor, "update", access.target(thing), audit_action=f"iot.device.{action}")
    return thing


def set_enabled(db: Session, *, actor: Actor, thing_id: int, enabled: bool) -> Thing:
    """Enable or disable a device (a disabled device's token is refused at ingest)."""
    action = "enable" if enabled else "disable"
    thing = _managed(db, actor, thing_id, action)
    thing.enabled = enabled
    audit.record(db, actor=actor, action=f"iot.device.{action}", target_kind=access.DEVICE, target_id=thing.id,
                 detail={"code": thing.code})
    db.commit()
    return thing


def set_open(db: Session, *, actor: Actor, thing_id: int, open: bool) -> Thing:
    """Mark a device's data open to everyone, or not."""
    thing = _managed(db, actor, thing_id, "open")
    thing.open = open
    audit.record(db, actor=actor, action="iot.device.open", target_kind=access.DEVICE, target_id=thing.id,
                 detail={"code": thing.code, "open": open})
    db.commit()
    return thing


def rotate_token(db: Session, *, actor: Actor, thing_id: int) -> Registered:
    """A new token for the device; the old one stops working at once."""
    thing = _managed(db, actor, thing_id, "rotate")
    token, thing.token_hash = tokens.new_token()
    thing.token_rotated_at = clock.now()
    audit.record(db, actor=actor, action="iot.device.rotate", target_kind=access.DEVICE, target_id=thing.id,
                 detail={"code": thing.code})
    db.commit()
    return Registered(thing, token)


def datastreams_of(db: Session, thing_id: int) -> list[Datastream]:
    return list(db.scalars(select(Datastream).where(Datastream.thing_id == thing_id).order_by(Datastream.id)))


def sampling_interval(db: Session, thing_id: int) -> int | None:
    """The device's shortest sampling interval (seconds)."""
    return db.scalar(select(func.min(Datastream.sampling_interval)).where(Datastream.thing_id == thing_id))


def is_online(last_seen: datetime | None, interval: int | None, now: datetime | None = None) -> bool:
    """Online: something came within OFFLINE_AFTER sampling intervals."""
    if last_seen is None or not interval:
        return False
    return (now or clock.now()) - clock.aware(last_seen) <= timedelta(seconds=OFFLINE_AFTER * interval)


def check_authorized(actor: Actor, thing: Thing, action: str) -> None:
    """Raise Forbidden unless `actor` may `action` the device."""
    authorize(actor, action, access.target(thing))
