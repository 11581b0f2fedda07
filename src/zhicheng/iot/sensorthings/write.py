"""SensorThings Create-Update-Delete (1.1 §10) for staff: create any entity (a Thing deep with its Locations and
Datastreams, a Datastream with its Sensor and ObservedProperty), update its properties, delete it with what depends
on it; allowed to the data officer of the owning department and the admin (the device rules of `iot.service`),
each change audited. Observations are created through `ingest.ingest`, the one write path."""

from __future__ import annotations

import copy
import math
import re
import uuid
from typing import Any

import jsonpatch
from shapely.errors import ShapelyError
from shapely.geometry import shape
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from zhicheng.core import clock
from zhicheng.core.actor import Actor
from zhicheng.core.errors import Conflict, Forbidden, Invalid, NotFound
from zhicheng.iot import device_types, ingest, rollups, service, tokens
from zhicheng.iot.models import (
    Datastream,
    FeatureOfInterest,
    HistoricalLocation,
    Location,
    Observation,
    ObservedProperty,
    Sensor,
    Thing,
    ThingLocation,
)
from zhicheng.iot.sensorthings import owners
from zhicheng.policy import audit

GEOJSON = ("application/geo+json", "application/vnd.geo+json")
STA_DEVICE_TYPE = "sta"  # a Thing made through SensorThings, not from a device type's template
KEY = re.compile(r"[^a-z0-9_]+")
MAX_DEEP = 100  # Locations or Datastreams in one deep insert


def _bad(field: str, zh: str, en: str) -> Invalid:
    return Invalid(zh, en, field=field)


def _text(body: dict, name: str, *, required: bool = False, limit: int = 200, default: str = "") -> str:
    value = body.get(name, None)
    if value is None:
        if required:
            raise _bad(name, f"缺少 {name}", f"{name} is missing")
        return default
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit:
        raise _bad(name, f"{name} 须为不超过 {limit} 个字符的字符串", f"{name} must be a string of at most {limit} "
                   "characters")
    return value


def _object(body: dict, name: str) -> dict | None:
    value = body.get(name)
    if value is not None and not isinstance(value, dict):
        raise _bad(name, f"{name} 须为 JSON 对象", f"{name} must be a JSON object")
    return value


def _geojson(body: dict, name: str, *, required: bool) -> dict | None:
    value = _object(body, name)
    if value is None:
        if required:
            raise _bad(name, f"缺少 {name}", f"{name} is missing")
        return None
    try:
        geometry = shape(value)
    except (ShapelyError, ValueError, TypeError, KeyError, AttributeError, IndexError):
        raise _bad(name, f"{name} 不是有效的 GeoJSON 几何", f"{name} is not a valid GeoJSON geometry") from None
    if geometry.is_empty or not all(math.isfinite(c) for c in geometry.bounds):
        raise _bad(name, f"{name} 为空或坐标无效", f"{name} is empty or has invalid coordinates")
    return value


def _encoding(body: dict, default: str, allowed: tuple[str, ...] | None = None) -> str:
    value = _text(body, "encodingType", default=default, limit=64)
    if allowed and value not in allowed:
        raise _bad("encodingType", f"encodingType 须为 {allowed[0]}", f"encodingType must be {allowed[0]}")
    return value


def _ref(value: Any) -> int | None:
    """The id of a `{"@iot.id": n}` link (None: an inline entity)."""
    if isinstance(value, dict) and "@iot.id" in value:
        ident = value["@iot.id"]
        if isinstance(ident, bool) or not isinstance(ident, int):
            raise _bad("@iot.id", "@iot.id 须为整数", "@iot.id must be an integer")
        return ident
    return None


def _missing(kind: str, ident: Any, field: str) -> NotFound:
    return NotFound(f"{kind}({ident}) 不存在", f"{kind}({ident}) not found", field=field)


# -- create --------------------------------------------------------------------------------------------------------

def _new_thing(db: Session, actor: Actor, body: dict) -> Thing:
    props = _object(body, "properties") or {}
    department_id = props.get("department_id", actor.department_id)
    if isinstance(department_id, bool) or not isinstance(department_id, int):
        raise _bad("properties.department_id", "须指明所属部门（properties.department_id）",
                   "name the owning department (properties.department_id)")
    owners.manage_department(db, actor, department_id, "create")
    code = props.get("code") or f"sta-{uuid.uuid4().hex[:12]}"
    if not isinstance(code, str) or len(code) > 64:
        raise _bad("properties.code", "properties.code 须为不超过 64 个字符的字符串", "properties.code must be a "
                   "string of at most 64 characters")
    if db.scalar(select(Thing.id).where(Thing.code == code)) is not None:
        raise Conflict(f"设备编码 {code} 已存在", f"device code {code} already exists", field="properties.code")
    now = clock.now()
    _token, digest = tokens.new_token()  # not shown: the device's token is issued by rotate-token when it reports
    thing = Thing(code=code, name=_text(body, "name", required=True), description=_text(body, "description",
                  limit=10_000), properties=props, department_id=department_id, device_type=STA_DEVICE_TYPE,
                  enabled=True, open=bool(props.get("open", False)), token_hash=digest, token_rotated_at=now,
                  created_at=now)
    db.add(thing)
    db.flush()
    for i, item in enumerate(_list(body, "Locations")):
        location = _location_for(db, actor, item, f"Locations[{i}]")
        _link(db, thing, location, now)
    for i, item in enumerate(_list(body, "Datastreams")):
        if not isinstance(item, dict):
            raise _bad(f"Datastreams[{i}]", "须为 JSON 对象", "must be a JSON object")
        _new_datastream(db, actor, item, thing=thing)
    return thing


def _list(body: dict, name: str) -> list:
    value = body.get(name) or []
    if not isinstance(value, list) or len(value) > MAX_DEEP:
        raise _bad(name, f"{name} 须为至多 {MAX_DEEP} 项的数组", f"{name} must be an array of at most {MAX_DEEP}")
    return value


def _link(db: Session, thing: Thing, location: Location, at) -> None:
    if db.get(ThingLocation, (thing.id, location.id)) is None:
        db.add(ThingLocation(thing_id=thing.id, location_id=location.id))
    db.add(HistoricalLocation(thing_id=thing.id, location_id=location.id, time=at))
    db.flush()


def _location_for(db: Session, actor: Actor, item: Any, field: str) -> Location:
    ident = _ref(item)
    if ident is not None:
        location = db.get(Location, ident)
        if location is None:
            raise _missing("Location", ident, field)
        owners.check_may_change(db, actor, "Locations", ident, "update")
        return location
    if not isinstance(item, dict):
        raise _bad(field, "须为 JSON 对象", "must be a JSON object")
    made = _new_location(item)
    db.add(made)
    db.flush()
    return made


def _new_location(body: dict) -> Location:
    return Location(name=_text(body, "name", required=True), description=_text(body, "description", limit=10_000),
                    encoding_type=_encoding(body, GEOJSON[0], GEOJSON), location=_geojson(body, "location",
                                                                                          required=True),
                    properties=_object(body, "properties"))


def _new_sensor(body: dict) -> Sensor:
    return Sensor(name=_text(body, "name", required=True), description=_text(body, "description", limit=10_000),
                  encoding_type=_encoding(body, "text/plain"), sensor_metadata=_text(body, "metadata", limit=10_000),
                  properties=_object(body, "properties"))


def _new_property(db: Session, body: dict, *, reuse: bool) -> ObservedProperty:
    definition = _text(body, "definition", required=True, limit=300)
    found = db.scalar(select(ObservedProperty).where(ObservedProperty.definition == definition))
    if found is not None:
        if reuse:
            return found
        raise Conflict(f"观测属性 {definition} 已存在（编号 {found.id}）", f"an ObservedProperty with definition "
                       f"{definition} exists ({found.id})", field="definition")
    made = ObservedProperty(name=_text(body, "name", required=True), definition=definition,
                            description=_text(body, "description", limit=10_000),
                            properties=_object(body, "properties"))
    db.add(made)
    db.flush()
    return made


def _unit(body: dict) -> dict:
    unit = _object(body, "unitOfMeasurement")
    if unit is None or not all(isinstance(unit.get(k, ""), str | None) for k in ("name", "symbol", "definition")):
        raise _bad("unitOfMeasurement", "unitOfMeasurement 须为 {name, symbol, definition}",
                   "unitOfMeasurement must be {name, symbol, definition}")
    return {k: unit.get(k) for k in ("name", "symbol", "definition")}


def _linked(db: Session, actor: Actor, body: dict, name: str, model: type, make) -> Any:
    item = body.get(name)
    if item is None:
        raise _bad(name, f"缺少 {name}", f"{name} is missing")
    ident = _ref(item)
    if ident is not None:
        found = db.get(model, ident)
        if found is None:
            raise _missing(name, ident, name)
        return found
    if not isinstance(item, dict):
        raise _bad(name, "须为 JSON 对象", "must be a JSON object")
    made = make(item)
    db.add(made)
    db.flush()
    return made


DATASTREAM_COLUMNS = ("key", "validMin", "validMax", "samplingInterval")  # Datastream properties kept as columns


def _new_datastream(db: Session, actor: Actor, body: dict, thing: Thing | None = None) -> Datastream:
    if thing is None:
        ident = _ref(body.get("Thing"))
        if ident is None:
            raise _bad("Thing", "须以 {\"@iot.id\": 编号} 指明 Thing", "Thing must be {\"@iot.id\": id}")
        thing = db.get(Thing, ident)
        if thing is None:
            raise _missing("Thing", ident, "Thing")
        owners.manage_thing(db, actor, thing, "create")
    observation_type = _text(body, "observationType", required=True)
    if observation_type not in device_types.OBSERVATION_TYPES.values():
        raise _bad("observationType", "不支持的观测类型", "unsupported observationType")
    props = _object(body, "properties") or {}
    name = _text(body, "name", required=True)
    key = props.get("key") or KEY.sub("_", name.lower()).strip("_")[:40] or "ds"
    if not isinstance(key, str) or len(key) > 64:
        raise _bad("properties.key", "key 须为不超过 64 个字符的字符串", "key must be a string of at most 64 characters")
    taken = set(db.scalars(select(Datastream.key).where(Datastream.thing_id == thing.id)))
    if props.get("key") and key in taken:
        raise Conflict(f"数据流 {key} 已存在", f"datastream {key} exists on this Thing", field="properties.key")
    base, n = key, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    limits = {}
    for field, column in (("validMin", "valid_min"), ("validMax", "valid_max")):
        value = props.get(field)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)
                                  or not math.isfinite(value)):
            raise _bad(f"properties.{field}", f"{field} 须为数", f"{field} must be a number")
        limits[column] = value
    interval = props.get("samplingInterval", 3600)
    if isinstance(interval, bool) or not isinstance(interval, int) or not 0 < interval <= 31 * 86400:
        raise _bad("properties.samplingInterval", "samplingInterval 须为 1 到 2678400 秒",
                   "samplingInterval must be 1..2678400 seconds")
    sensor = _linked(db, actor, body, "Sensor", Sensor, _new_sensor)
    prop = _linked(db, actor, body, "ObservedProperty", ObservedProperty,
                   lambda item: _new_property(db, item, reuse=True))
    rest = {k: v for k, v in props.items() if k not in DATASTREAM_COLUMNS}
    ds = Datastream(thing_id=thing.id, sensor_id=sensor.id, observed_property_id=prop.id, key=key, name=name,
                    description=_text(body, "description", limit=10_000), unit_of_measurement=_unit(body),
                    observation_type=observation_type, sampling_interval=interval, properties=rest or None,
                    **limits)
    db.add(ds)
    db.flush()
    return ds


def create(db: Session, actor: Actor, set_name: str, body: Any) -> tuple[str, int]:
    """Make the entity `body` describes in `set_name` (and what it holds inline); committed and audited.
    Returns (the set its id belongs to, the id). Observations go through ingest."""
    if not isinstance(body, dict):
        raise _bad("body", "须为 JSON 对象", "the body must be a JSON object")
    if set_name == "Things":
        made: Any = _new_thing(db, actor, body)
    elif set_name == "Locations":
        made = _new_location(body)
        things = [_thing_ref(db, actor, item, f"Things[{i}]") for i, item in enumerate(_list(body, "Things"))]
        if not things:
            owners.manage_department(db, actor, actor.department_id, "create")
        db.add(made)
        db.flush()
        for thing in things:
            _link(db, thing, made, clock.now())
    elif set_name == "Sensors":
        owners.manage_department(db, actor, actor.department_id, "create")
        made = _new_sensor(body)
    elif set_name == "ObservedProperties":
        owners.manage_department(db, actor, actor.department_id, "create")
        made = _new_property(db, body, reuse=False)
    elif set_name == "Datastreams":
        made = _new_datastream(db, actor, body)
    elif set_name == "FeaturesOfInterest":
        owners.manage_department(db, actor, actor.department_id, "create")
        made = FeatureOfInterest(name=_text(body, "name", required=True),
                                 description=_text(body, "description", limit=10_000),
                                 encoding_type=_encoding(body, GEOJSON[0], GEOJSON),
                                 feature=_geojson(body, "feature", required=True),
                                 properties=_object(body, "properties"))
    elif set_name == "Observations":
        return "Observations", _new_observation(db, actor, body)
    else:
        raise Forbidden(f"{set_name} 不能直接创建", f"{set_name} cannot be created directly", code="not_creatable",
                        field="path")
    db.add(made)
    db.flush()
    audit.record(db, actor=actor, action="iot.sta.create", target_kind=f"iot.{set_name}", target_id=made.id,
                 detail={"set": set_name, "name": getattr(made, "name", None)})
    db.commit()
    return set_name, made.id


def _thing_ref(db: Session, actor: Actor, item: Any, field: str) -> Thing:
    ident = _ref(item)
    if ident is None:
        raise _bad(field, "须以 {\"@iot.id\": 编号} 指明 Thing", "a Thing must be {\"@iot.id\": id}")
    thing = db.get(Thing, ident)
    if thing is None:
        raise _missing("Thing", ident, field)
    owners.manage_thing(db, actor, thing, "create")
    return thing


def _new_observation(db: Session, actor: Actor, body: dict) -> int:
    ident = _ref(body.get("Datastream"))
    if ident is None:
        raise _bad("Datastream", "须以 {\"@iot.id\": 编号} 指明 Datastream", "Datastream must be {\"@iot.id\": id}")
    ds = db.get(Datastream, ident)
    if ds is None:
        raise _missing("Datastream", ident, "Datastream")
    thing = db.get(Thing, ds.thing_id)
    owners.manage_thing(db, actor, thing, "create")
    if "result" not in body:
        raise _bad("result", "缺少 result", "result is missing")
    foi = body.get("FeatureOfInterest")
    item = ingest.Incoming(ds.id, body.get("phenomenonTime") or clock.now().isoformat(), body.get("result"),
                           body.get("resultTime"), body.get("resultQuality"), body.get("parameters"),
                           _ref(foi) if foi is not None else None, raw=body)
    outcome = ingest.ingest(db, thing=thing, items=[item], channel="sta-staff")
    if outcome.quarantined:
        reason, message = outcome.quarantined[0]
        raise Invalid(f"观测被隔离：{ingest.REASONS[reason][0]}", f"observation quarantined: {message}",
                      code="quarantined", field=reason)
    made = outcome.stored.get(0) or outcome.duplicates.get(0)
    audit.record(db, actor=actor, action="iot.sta.create", target_kind="iot.Observations", target_id=made,
                 detail={"set": "Observations", "datastream": ds.id})
    db.commit()
    return made


# -- update --------------------------------------------------------------------------------------------------------

UPDATABLE = {
    "Things": ("name", "description", "properties"),
    "Locations": ("name", "description", "encodingType", "location", "properties"),
    "Sensors": ("name", "description", "encodingType", "metadata", "properties"),
    "ObservedProperties": ("name", "definition", "description", "properties"),
    "Datastreams": ("name", "description", "unitOfMeasurement", "properties"),
    "FeaturesOfInterest": ("name", "description", "encodingType", "feature", "properties"),
    "Observations": ("result", "resultQuality", "parameters", "resultTime"),
}
MODELS = {"Things": Thing, "Locations": Location, "Sensors": Sensor, "ObservedProperties": ObservedProperty,
          "Datastreams": Datastream, "FeaturesOfInterest": FeatureOfInterest, "Observations": Observation,
          "HistoricalLocations": HistoricalLocation}


def merge_of_patch(current: dict, ops: Any) -> dict:
    """The PATCH body (changed properties) that JSON Patch `ops` (RFC 6902, by the jsonpatch library) makes of the
    entity's `current` properties; a bad patch is 422 naming the body."""
    if not isinstance(ops, list):
        raise _bad("body", "JSON Patch 须为操作数组", "a JSON Patch is an array of operations")
    try:
        patched = jsonpatch.apply_patch(copy.deepcopy(current), ops)
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, TypeError, ValueError, KeyError) as exc:
        raise _bad("body", f"JSON Patch 无法应用：{exc}", f"the JSON Patch does not apply: {exc}") from None
    if not isinstance(patched, dict):
        raise _bad("body", "JSON Patch 须作用于实体的属性", "the JSON Patch must apply to the entity's properties")
    changed = {k: v for k, v in patched.items() if k not in current or current[k] != v}
    removed = [k for k in current if k not in patched]
    return {**changed, **{k: None for k in removed}}


def update(db: Session, actor: Actor, set_name: str, ident: int, body: Any) -> None:
    """Change the properties `body` names (PATCH: the others stay); committed and audited."""
    if not isinstance(body, dict) or not body:
        raise _bad("body", "须为非空 JSON 对象", "the body must be a non-empty JSON object")
    allowed = UPDATABLE.get(set_name)
    if allowed is None:
        raise Forbidden(f"{set_name} 不能修改", f"{set_name} cannot be updated", code="not_updatable", field="path")
    wrong = [k for k in body if k not in allowed]
    if wrong:
        raise _bad(wrong[0], f"{set_name} 的 {wrong[0]} 不能修改", f"{wrong[0]} of {set_name} cannot be updated "
                   f"(updatable: {', '.join(allowed)})")
    owners.check_may_change(db, actor, set_name, ident, "update")
    row = db.get(MODELS[set_name], ident)
    if set_name == "Observations":
        _update_observation(db, row, body)
    else:
        for name in body:
            if name in ("name", "description", "metadata", "definition"):
                value = _text(body, name, required=name in ("name", "definition"),
                              limit={"name": 200, "definition": 300}.get(name, 10_000))
                setattr(row, {"metadata": "sensor_metadata"}.get(name, name), value)
            elif name == "properties":
                props = _object(body, name)
                if set_name == "Datastreams" and props:  # what reading shows beside them is not stored in them
                    props = {k: v for k, v in props.items() if k not in DATASTREAM_COLUMNS} or None
                if set_name == "Things":  # the device type registration wrote stays what it was
                    kept = {k: v for k, v in (row.properties or {}).items() if k in service.RESERVED_PROPERTIES}
                    props = {**(props or {}), **kept} or None
                row.properties = props
            elif name == "encodingType":
                row.encoding_type = _encoding(body, "", GEOJSON if set_name != "Sensors" else None)
            elif name in ("location", "feature"):
                setattr(row, name, _geojson(body, name, required=True))
            elif name == "unitOfMeasurement":
                row.unit_of_measurement = _unit(body)
    db.flush()
    audit.record(db, actor=actor, action="iot.sta.update", target_kind=f"iot.{set_name}", target_id=ident,
                 detail={"set": set_name, "fields": sorted(body)})
    db.commit()


def _update_observation(db: Session, row: Observation, body: dict) -> None:
    ds = db.get(Datastream, row.datastream_id)
    if "result" in body:
        try:
            values = ingest.check_result(ds, body["result"])
        except ingest.Refused as exc:
            raise _bad("result", ingest.REASONS[exc.reason][0], f"{ingest.REASONS[exc.reason][1]}: {exc.detail}") \
                from None
        row.result_number = row.result_text = row.result_json = None
        for column, value in values.items():
            setattr(row, column, value)
    if "resultQuality" in body:
        row.result_quality = None if body["resultQuality"] is None else str(body["resultQuality"])[:200]
    if "parameters" in body:
        row.parameters = _object(body, "parameters")
    if "resultTime" in body:
        try:
            row.result_time = None if body["resultTime"] is None else ingest.parse_time(body["resultTime"],
                                                                                        "resultTime")
        except ingest.Refused as exc:
            raise _bad("resultTime", "时间格式无效", exc.detail) from None
    db.flush()
    _recount(db, [(row.datastream_id, row.phenomenon_time)])


def _recount(db: Session, touched) -> None:
    """The hourly and daily rollups of the buckets holding the (datastream, time) pairs `touched`, recomputed from what
    the table now holds (a bucket left empty is removed); each bucket once, however many pairs fall in it."""
    hours: set[tuple[int, Any]] = set()
    for ds_id, at in touched:
        hours.add((ds_id, rollups.INTERVALS["hour"].floor(at)))
    for interval in rollups.INTERVALS.values():
        buckets = {(ds_id, interval.floor(at)) for ds_id, at in hours}
        for ds_id, bucket in sorted(buckets):
            db.execute(delete(interval.model).where(interval.model.datastream_id == ds_id,
                                                    interval.model.bucket == bucket))
    rollups.refresh(db, [{"datastream_id": ds, "phenomenon_time": at, "result_number": 0.0} for ds, at in sorted(hours)])


# -- delete --------------------------------------------------------------------------------------------------------

def remove(db: Session, actor: Actor, set_name: str, ident: int) -> None:
    """Delete the entity and what cannot exist without it (SensorThings 1.1 §10.4: a Thing's Datastreams, a
    Datastream's Observations, a Sensor's or ObservedProperty's Datastreams, a FeatureOfInterest's Observations);
    committed and audited."""
    if set_name not in MODELS:
        raise NotFound(f"{set_name} 不存在", f"{set_name} not found", field="path")
    owners.check_may_change(db, actor, set_name, ident, "delete")
    model = MODELS[set_name]
    if set_name in ("Sensors", "ObservedProperties"):
        column = Datastream.sensor_id if set_name == "Sensors" else Datastream.observed_property_id
        db.execute(delete(Datastream).where(column == ident))
    elif set_name == "Observations":
        row = db.get(Observation, ident)
        touched = [(row.datastream_id, row.phenomenon_time)]
        db.execute(delete(Observation).where(Observation.id == ident))
        _recount(db, touched)
    elif set_name == "FeaturesOfInterest":
        touched = db.execute(select(Observation.datastream_id, Observation.phenomenon_time)
                             .where(Observation.feature_of_interest_id == ident)
                             .execution_options(yield_per=5000))
        hours = {(ds_id, rollups.INTERVALS["hour"].floor(at)) for ds_id, at in touched}  # bounded by the hours
        db.execute(delete(Observation).where(Observation.feature_of_interest_id == ident))
        _recount(db, hours)
    db.execute(delete(model).where(model.id == ident))
    audit.record(db, actor=actor, action="iot.sta.delete", target_kind=f"iot.{set_name}", target_id=ident,
                 detail={"set": set_name})
    db.commit()
