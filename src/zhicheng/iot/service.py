"""Devices: register a Thing of a device type (its Location, Sensor and Datastreams), credentials, enable/disable,
bulk provisioning from CSV, liveness (last seen, online/offline); every change audited."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhicheng.accounts import service as accounts
from zhicheng.core import clock
from zhicheng.core.actor import Actor
from zhicheng.core.db import MAX_ID
from zhicheng.core.errors import Conflict, Invalid, NotFound
from zhicheng.core.text import decode_upload
from zhicheng.iot import access, device_types, tokens
from zhicheng.iot.models import (
    Datastream,
    HistoricalLocation,
    Location,
    Observation,
    ObservedProperty,
    Quarantined,
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
MAX_CSV_BYTES = 4 * 1024 * 1024  # 10,000 rows of a provisioning CSV fit in well under 4 MB


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
    text = decode_upload(data, max_bytes=MAX_CSV_BYTES)
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


# -- reads for the pages and the scenarios (added with the device pages) ------------------------------------------

def _online_condition(db: Session, interval: ColumnElement, now: datetime) -> ColumnElement[bool]:
    """Online in SQL: last seen within OFFLINE_AFTER × the device's shortest interval (one bound cut-off per
    distinct interval the datastreams use: a handful, so no date arithmetic in SQL)."""
    distinct = [i for i in db.scalars(select(Datastream.sampling_interval).distinct()) if i]
    return or_(false(), *[and_(interval == i, Thing.last_seen >= now - timedelta(seconds=OFFLINE_AFTER * i))
                          for i in distinct])


def find_devices(db: Session, *, actor: Actor, department_id: int | None = None, device_type: str | None = None,
                 enabled: bool | None = None, online: bool | None = None, q: str | None = None, offset: int = 0,
                 limit: int = 50) -> tuple[list[tuple[Thing, int | None]], int]:
    """A page of the devices `actor` may read, filtered, by code: (device, its shortest sampling interval) pairs
    and the number of devices the filter matches."""
    interval = (select(Datastream.thing_id, func.min(Datastream.sampling_interval).label("interval"))
                .group_by(Datastream.thing_id).subquery())
    conditions: list[ColumnElement[bool]] = [access.readable_things(actor)]
    if department_id is not None:
        conditions.append(Thing.department_id == department_id)
    if device_type:
        conditions.append(Thing.device_type == device_type)
    if enabled is not None:
        conditions.append(Thing.enabled.is_(enabled))
    if q:
        like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(or_(Thing.code.ilike(like, escape="\\"), Thing.name.ilike(like, escape="\\")))
    if online is not None:
        up = _online_condition(db, interval.c.interval, clock.now())
        conditions.append(up if online else ~up | Thing.last_seen.is_(None))
    base = select(Thing, interval.c.interval).outerjoin(interval, interval.c.thing_id == Thing.id).where(*conditions)
    total = db.scalar(select(func.count()).select_from(base.subquery()))
    rows = db.execute(base.order_by(Thing.code).offset(offset).limit(limit)).all()
    return [(thing, iv) for thing, iv in rows], total or 0


def latest_observations(db: Session, *, actor: Actor, datastream_ids: list[int]) -> dict[int, Observation]:
    """The newest observation of each of the datastreams `actor` may read (found by the datastream's phenomenonTime
    extent, which ingest keeps, through the (datastream, time) key: no scan of the history), by datastream id."""
    ids = [i for i in dict.fromkeys(datastream_ids) if 0 < i <= MAX_ID]
    out: dict[int, Observation] = {}
    for first in range(0, len(ids), 500):
        stmt = (select(Observation)
                .join(Datastream, and_(Datastream.id == Observation.datastream_id,
                                       Datastream.phenomenon_time_end == Observation.phenomenon_time))
                .join(Thing, Thing.id == Datastream.thing_id)
                .where(Datastream.id.in_(ids[first:first + 500]), access.readable_things(actor)))
        out.update({o.datastream_id: o for o in db.scalars(stmt)})
    return out


def datastreams_of_things(db: Session, *, actor: Actor, thing_ids: list[int]) -> dict[int, list[Datastream]]:
    """The datastreams of the devices `actor` may read among `thing_ids`, by device."""
    out: dict[int, list[Datastream]] = {}
    ids = list(dict.fromkeys(thing_ids))
    for first in range(0, len(ids), 500):
        stmt = (select(Datastream).join(Thing, Thing.id == Datastream.thing_id)
                .where(Thing.id.in_(ids[first:first + 500]), access.readable_things(actor)).order_by(Datastream.id))
        for d in db.scalars(stmt):
            out.setdefault(d.thing_id, []).append(d)
    return out


def find_quarantined(db: Session, *, actor: Actor, thing_id: int | None = None, reason: str | None = None,
                     offset: int = 0, limit: int = 50) -> tuple[list[tuple[Quarantined, Thing]], int]:
    """A page of the quarantine of the devices `actor` may read, newest first, with each row's device."""
    conditions: list[ColumnElement[bool]] = [access.readable_things(actor)]
    if thing_id is not None:
        conditions.append(Quarantined.thing_id == thing_id)
    if reason:
        conditions.append(Quarantined.reason == reason)
    base = select(Quarantined, Thing).join(Thing, Thing.id == Quarantined.thing_id).where(*conditions)
    total = db.scalar(select(func.count()).select_from(Quarantined).join(Thing, Thing.id == Quarantined.thing_id)
                      .where(*conditions))
    rows = db.execute(base.order_by(Quarantined.id.desc()).offset(offset).limit(limit)).all()
    return [(q, t) for q, t in rows], total or 0


RESERVED_PROPERTIES = ("deviceType", "deviceTypeName")  # written by registration, never by a caller


def set_properties(db: Session, *, actor: Actor, thing_id: int, values: dict) -> Thing:
    """Merge `values` into the device's SensorThings `properties` (a None value removes the key); the caller checks
    what its keys mean. Audited as `iot.device.properties`."""
    thing = _managed(db, actor, thing_id, "properties")
    reserved = [k for k in values if k in RESERVED_PROPERTIES]
    if reserved:
        raise Invalid(f"属性 {reserved[0]} 不可修改", f"the property {reserved[0]} cannot be changed", field=reserved[0])
    merged = dict(thing.properties or {})
    for key, value in values.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    thing.properties = merged
    audit.record(db, actor=actor, action="iot.device.properties", target_kind=access.DEVICE, target_id=thing.id,
                 detail={"code": thing.code, "values": values})
    db.commit()
    return thing


def datastreams_by_thing(db: Session, thing_ids: list[int]) -> dict[int, list[Datastream]]:
    """The datastreams of several devices at once, by thing id (each list by datastream id)."""
    found: dict[int, list[Datastream]] = {i: [] for i in thing_ids}
    for start in range(0, len(thing_ids), 1000):
        for d in db.scalars(select(Datastream).where(Datastream.thing_id.in_(thing_ids[start:start + 1000]))
                            .order_by(Datastream.id)):
            found[d.thing_id].append(d)
    return found


def positions_of(db: Session, thing_ids: list[int]) -> dict[int, list[float]]:
    """[lon, lat] of each device's current Location (a GeoJSON point), by thing id; devices without one left out."""
    found: dict[int, list[float]] = {}
    for start in range(0, len(thing_ids), 1000):
        rows = db.execute(select(ThingLocation.thing_id, Location.location)
                          .join(Location, Location.id == ThingLocation.location_id)
                          .where(ThingLocation.thing_id.in_(thing_ids[start:start + 1000])))
        for thing_id, geometry in rows:
            coords = (geometry or {}).get("coordinates") if (geometry or {}).get("type") == "Point" else None
            if coords and len(coords) >= 2:
                found.setdefault(thing_id, [float(coords[0]), float(coords[1])])
    return found


def device_by_code(db: Session, code: str) -> Thing | None:
    """The device of `code`, or None (for the platform's own jobs: the demo, replays; not an access check)."""
    return db.scalar(select(Thing).where(Thing.code == code))


def existing_codes(db: Session, codes: list[str]) -> set[str]:
    """Which of `codes` are registered devices."""
    return set(db.scalars(select(Thing.code).where(Thing.code.in_(codes)))) if codes else set()


def enabled_codes(db: Session, prefix: str) -> list[str]:
    """The codes of the enabled devices whose code starts with `prefix`, in order."""
    return list(db.scalars(select(Thing.code).where(Thing.code.startswith(prefix, autoescape=True),
                                                    Thing.enabled.is_(True)).order_by(Thing.code)))
