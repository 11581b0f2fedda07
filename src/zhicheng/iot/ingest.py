"""Observations in: each checked (datastream of this device, time, type, range), the good ones stored once per
(datastream, phenomenon time) with INSERT … ON CONFLICT DO NOTHING and their hourly and daily rollups recomputed,
the rest quarantined with a reason."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhicheng.core import clock
from zhicheng.core.db import dialect_insert
from zhicheng.core.errors import Forbidden
from zhicheng.core.events import bus, database_of
from zhicheng.iot import rollups, rule_engine
from zhicheng.iot.device_types import CATEGORY, COUNT, MEASUREMENT, TRUTH
from zhicheng.iot.models import (
    Datastream,
    FeatureOfInterest,
    Location,
    Observation,
    Quarantined,
    Thing,
    ThingLocation,
)

FUTURE_SLACK = timedelta(minutes=5)  # a clock a little ahead is tolerated; further is a device's error
CHUNK = 500  # rows per INSERT (SQLite allows 32,766 bound values; a row binds 9)
REASONS = {
    "unknown_datastream": ("数据流不存在", "unknown datastream"),
    "bad_time": ("时间格式无效", "invalid time"),
    "future_time": ("时间超前当前时间 5 分钟以上", "time more than 5 minutes in the future"),
    "wrong_type": ("结果类型与数据流的观测类型不符", "result type does not match the datastream's observation type"),
    "not_finite": ("结果不是有限数（NaN 或无穷）", "result is not a finite number (NaN or infinity)"),
    "out_of_range": ("结果超出设备类型的有效范围", "result outside the device type's valid range"),
    "malformed": ("观测格式无效", "malformed observation"),
    "unknown_feature": ("观测对象不存在", "unknown feature of interest"),
    "wrong_unit": ("单位与数据流的 UCUM 单位不符", "unit does not match the datastream's UCUM unit"),
}


@dataclass
class Incoming:
    """One observation as a device sent it (not yet checked)."""

    datastream: Any  # an id (int) or the datastream's key or name (str)
    phenomenon_time: Any
    result: Any
    result_time: Any = None
    result_quality: Any = None
    parameters: Any = None
    feature_of_interest: Any = None  # an id, or None for the Thing's Location's
    raw: Any = None  # what to keep in quarantine
    malformed: str | None = None  # why it could not even be read
    unit: str | None = None  # the unit the sender stated (SenML): must be the datastream's UCUM code


@dataclass
class Outcome:
    """What became of each observation, by its position in the request."""

    stored: dict[int, int] = field(default_factory=dict)  # position -> new observation id
    duplicates: dict[int, int] = field(default_factory=dict)  # position -> the id already stored
    quarantined: dict[int, tuple[str, str]] = field(default_factory=dict)  # position -> (reason, detail)

    def as_dict(self) -> dict:
        return {
            "stored": len(self.stored), "duplicates": len(self.duplicates), "quarantined": len(self.quarantined),
            "ids": [self.stored.get(i, self.duplicates.get(i)) for i in sorted({*self.stored, *self.duplicates})],
            "refused": [{"index": i, "reason": r, "message": m} for i, (r, m) in sorted(self.quarantined.items())],
        }


class Refused(Exception):
    """An observation that goes to quarantine."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason, self.detail = reason, detail


def parse_time(value: Any, name: str = "phenomenonTime") -> datetime:
    """An ISO 8601 instant (a time without offset is Beijing time) or Unix seconds, as UTC."""
    if isinstance(value, bool) or value is None:
        raise Refused("bad_time", f"{name}: missing")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise Refused("bad_time", f"{name}: not finite")
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            raise Refused("bad_time", f"{name}: {value} out of range") from None
    if not isinstance(value, str) or len(value) > 64:
        raise Refused("bad_time", f"{name}: not a time")
    if "/" in value:
        raise Refused("bad_time", f"{name}: time intervals are not accepted yet")
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise Refused("bad_time", f"{name}: {value!r} is not ISO 8601") from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=clock.LOCAL_TZ)
    return at.astimezone(UTC)


def check_result(ds: Datastream, value: Any) -> dict[str, Any]:
    """The result columns for `value` on `ds`, or Refused."""
    kind = ds.observation_type
    if kind in (MEASUREMENT, COUNT):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Refused("wrong_type", f"{type(value).__name__} for a numeric datastream")
        if isinstance(value, float) and not math.isfinite(value):
            raise Refused("not_finite", str(value))
        if kind == COUNT and not float(value).is_integer():
            raise Refused("wrong_type", "a count must be a whole number")
        if (ds.valid_min is not None and value < ds.valid_min) or (ds.valid_max is not None and value > ds.valid_max):
            raise Refused("out_of_range", f"{value} not within [{ds.valid_min}, {ds.valid_max}]")
        return {"result_number": float(value)}
    if kind == TRUTH:
        if not isinstance(value, bool):
            raise Refused("wrong_type", "a truth observation takes true or false")
        return {"result_json": value}
    if kind == CATEGORY:
        if not isinstance(value, str):
            raise Refused("wrong_type", "a category observation takes a string")
        return {"result_text": value}
    if isinstance(value, float) and not math.isfinite(value):
        raise Refused("not_finite", str(value))
    return {"result_json": value}


def _units(ds: Datastream) -> set[str]:
    """The spellings of `ds`'s unit a sender may state: its UCUM code (definition ucum:<code>) and its symbol."""
    unit = ds.unit_of_measurement or {}
    return {str(v).removeprefix("ucum:") for v in (unit.get("definition"), unit.get("symbol")) if v}



def default_feature(db: Session, thing: Thing) -> int | None:
    """The FeatureOfInterest made from the Thing's Location (made now if missing, as SensorThings says)."""
    location = db.scalar(select(Location).join(ThingLocation, ThingLocation.location_id == Location.id)
                         .where(ThingLocation.thing_id == thing.id).order_by(Location.id).limit(1))
    if location is None:
        return None
    found = db.scalar(select(FeatureOfInterest.id).where(FeatureOfInterest.location_id == location.id))
    if found is not None:
        return found
    try:
        with db.begin_nested():  # another request may make it at the same moment: the unique location wins
            foi = FeatureOfInterest(name=location.name, description=location.description,
                                    encoding_type=location.encoding_type, feature=location.location,
                                    location_id=location.id)
            db.add(foi)
        return foi.id
    except IntegrityError:
        return db.scalar(select(FeatureOfInterest.id).where(FeatureOfInterest.location_id == location.id))


def _resolve(db: Session, thing: Thing, items: list[Incoming]) -> dict[Any, Datastream | None]:
    """Each datastream reference -> the datastream (None: unknown). Another device's datastream: Forbidden."""
    ids = {i.datastream for i in items if isinstance(i.datastream, int) and not isinstance(i.datastream, bool)}
    found: dict[Any, Datastream | None] = {}
    if ids:
        for ds in db.scalars(select(Datastream).where(Datastream.id.in_(ids))):
            if ds.thing_id != thing.id:
                raise Forbidden(f"设备 {thing.code} 无权写入数据流 {ds.id}",
                                f"device {thing.code} may not write to datastream {ds.id}",
                                code="not_your_datastream", field="Datastream")
            found[ds.id] = ds
    names = {i.datastream for i in items if isinstance(i.datastream, str)}
    if names:
        own = list(db.scalars(select(Datastream).where(Datastream.thing_id == thing.id)))
        for name in names:
            found[name] = next((d for d in own if name in (d.key, d.name)), None)
    return found


def ingest(db: Session, *, thing: Thing, items: list[Incoming], channel: str) -> Outcome:
    """Check, store (once) and quarantine `items` from `thing`; committed before it returns."""
    streams = _resolve(db, thing, items)
    now = clock.now()
    outcome = Outcome()
    rows: list[tuple[int, dict]] = []
    refused: list[tuple[int, Incoming, Datastream | None, Refused]] = []
    foi_default: int | None = None
    foi_known: dict[int, bool] = {}
    for pos, item in enumerate(items):
        ds = streams.get(item.datastream) if isinstance(item.datastream, int | str) else None
        try:
            if item.malformed:
                raise Refused("malformed", item.malformed)
            if ds is None:
                raise Refused("unknown_datastream", str(item.datastream)[:200])
            if item.unit is not None and item.unit not in _units(ds):
                raise Refused("wrong_unit", f"{str(item.unit)[:50]} for a datastream in {sorted(_units(ds))}")
            at = parse_time(item.phenomenon_time)
            if at > now + FUTURE_SLACK:
                raise Refused("future_time", at.isoformat())
            result_time = None if item.result_time is None else parse_time(item.result_time, "resultTime")
            values = check_result(ds, item.result)
            if item.feature_of_interest is None:
                if foi_default is None:
                    foi_default = default_feature(db, thing)
                foi = foi_default
            else:
                foi = item.feature_of_interest
                if foi not in foi_known:
                    foi_known[foi] = db.get(FeatureOfInterest, foi) is not None
                if not foi_known[foi]:
                    raise Refused("unknown_feature", str(foi))
            quality = None if item.result_quality is None else str(item.result_quality)[:200]
            parameters = item.parameters if isinstance(item.parameters, dict) else None
        except Refused as exc:
            refused.append((pos, item, ds, exc))
            continue
        rows.append((pos, {"datastream_id": ds.id, "feature_of_interest_id": foi, "phenomenon_time": at,
                           "result_time": result_time, "result_number": None, "result_text": None,
                           "result_json": None, "result_quality": quality, "parameters": parameters, **values}))
    _store(db, rows, outcome)
    # in this transaction, so an answer of 2xx means the hourly and daily rollups hold what was stored
    rollups.refresh(db, [values for pos, values in rows if pos in outcome.stored])
    for pos, item, ds, exc in refused:
        zh, en = REASONS[exc.reason]
        outcome.quarantined[pos] = (exc.reason, f"{en}: {exc.detail}" if exc.detail else en)
        db.add(Quarantined(thing_id=thing.id, datastream_id=ds.id if ds else None,
                           datastream_ref=None if item.datastream is None else str(item.datastream)[:200],
                           channel=channel, reason=exc.reason, message=f"{zh} / {outcome.quarantined[pos][1]}",
                           payload=_jsonable(item.raw), received_at=now))
    _extend_extents(db, rows, outcome)
    db.execute(update(Thing).where(Thing.id == thing.id).values(last_seen=now))
    # the alarm rules, in this transaction under a savepoint: a rule's failure is logged, never the data's
    rule_engine.evaluate_batch(db, thing, [values for pos, values in rows if pos in outcome.stored])
    db.commit()
    rule_engine.announce(db)  # the alarm transitions, once committed
    if outcome.stored:  # the new observations, once committed (SensorThings MQTT updates: iot.mqtt_updates)
        bus.publish("iot.observations.stored", {"database": database_of(db), "thing_id": thing.id,
                                                "open": bool(thing.open), "ids": sorted(outcome.stored.values())})
    return outcome


def _jsonable(value: Any) -> Any:
    """The payload as JSON can hold it (NaN and infinities as strings)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def _key(ds_id: int, at: datetime) -> tuple[int, datetime]:
    return ds_id, clock.aware(at).astimezone(UTC).replace(tzinfo=None)


def _store(db: Session, rows: list[tuple[int, dict]], outcome: Outcome) -> None:
    # one statement executed with many parameter sets: SQLAlchemy compiles and caches it once and batches the rows
    # itself ("insertmanyvalues", RETURNING included); a multi-row VALUES built per call cost ~1 ms per row to compile
    table = Observation.__table__
    stmt = (dialect_insert(db)(table)
            .on_conflict_do_nothing(index_elements=["datastream_id", "phenomenon_time"])
            .returning(table.c.id, table.c.datastream_id, table.c.phenomenon_time))
    new: dict[tuple[int, datetime], int] = {}
    for start in range(0, len(rows), CHUNK):
        chunk = [values for _pos, values in rows[start:start + CHUNK]]
        for oid, ds_id, at in db.execute(stmt, chunk):
            new[_key(ds_id, at)] = oid
    claimed: set[tuple[int, datetime]] = set()
    missing: dict[int, list[datetime]] = {}
    for pos, values in rows:
        key = _key(values["datastream_id"], values["phenomenon_time"])
        if key in new and key not in claimed:
            outcome.stored[pos] = new[key]
            claimed.add(key)
        else:
            missing.setdefault(values["datastream_id"], []).append(values["phenomenon_time"])
    existing: dict[tuple[int, datetime], int] = {}
    for ds_id, times in missing.items():
        for start in range(0, len(times), CHUNK):
            for oid, at in db.execute(select(Observation.id, Observation.phenomenon_time).where(
                    Observation.datastream_id == ds_id, Observation.phenomenon_time.in_(times[start:start + CHUNK]))):
                existing[_key(ds_id, at)] = oid
    for pos, values in rows:
        if pos not in outcome.stored:
            key = _key(values["datastream_id"], values["phenomenon_time"])
            outcome.duplicates[pos] = existing.get(key) or new.get(key)


def _extend_extents(db: Session, rows: list[tuple[int, dict]], outcome: Outcome) -> None:
    """Widen each datastream's phenomenonTime and resultTime extents by what was stored."""
    spans: dict[int, list[datetime | None]] = {}
    for pos, values in rows:
        if pos not in outcome.stored:
            continue
        span = spans.setdefault(values["datastream_id"], [None, None, None, None])
        at, rt = values["phenomenon_time"], values["result_time"]
        span[0] = at if span[0] is None or at < span[0] else span[0]
        span[1] = at if span[1] is None or at > span[1] else span[1]
        if rt is not None:
            span[2] = rt if span[2] is None or rt < span[2] else span[2]
            span[3] = rt if span[3] is None or rt > span[3] else span[3]
    for ds_id, (lo, hi, rlo, rhi) in spans.items():
        values = {
            "phenomenon_time_start": _widen(Datastream.phenomenon_time_start, lo, lower=True),
            "phenomenon_time_end": _widen(Datastream.phenomenon_time_end, hi, lower=False),
        }
        if rlo is not None:
            values["result_time_start"] = _widen(Datastream.result_time_start, rlo, lower=True)
            values["result_time_end"] = _widen(Datastream.result_time_end, rhi, lower=False)
        db.execute(update(Datastream).where(Datastream.id == ds_id).values(**values))


def _widen(column, value: datetime, *, lower: bool):
    beyond = column > value if lower else column < value
    return case((column.is_(None) | beyond, value), else_=column)
