"""SenML JSON packs (RFC 8428) read into observations of the sending device: base fields, relative times, `v`/`vs`/
`vb`/`vd`/`s` resolved; each record mapped to one of the device's datastreams by name, its unit kept for ingest's
check against the datastream's UCUM unit."""

from __future__ import annotations

import base64
import binascii
import math
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhicheng.core.errors import AppError, Forbidden
from zhicheng.iot.ingest import Incoming
from zhicheng.iot.models import Datastream, Thing

MEDIA_TYPE = "application/senml+json"
VERSION = 10  # the highest base version (bver) understood
RELATIVE_BELOW = 2**28  # a resolved time below this is relative to now (RFC 8428 §4.5.3)
MAX_RECORDS = 10_000
MAX_NAME = 200
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-:./_]*$")  # RFC 8428 §4.5.1
SEPARATORS = (":", "/", ".", "_", "-")  # between a device's code and a datastream's key in a full name
VALUES = ("v", "vs", "vb", "vd")
BASE_NUMBERS = ("bt", "bv", "bs")


class BadPack(AppError):
    status, code = 400, "malformed_senml"


def _bad(field: str, zh: str, en: str) -> BadPack:
    return BadPack(f"SenML 无效：{zh}", f"invalid SenML: {en}", field=field)


@dataclass
class Record:
    """One resolved record: its full name, the name after the base name, time (Unix seconds), unit and value."""

    name: str
    own_name: str
    time: float
    unit: str | None
    value: Any
    raw: dict
    malformed: str | None = None


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _value(record: dict, base_value: float, base_sum: float) -> Any:
    """The record's value (v + bv, vs, vb, vd decoded as base64url text, else s + bs), or ValueError saying why."""
    present = [f for f in VALUES if f in record]
    if len(present) > 1:
        raise ValueError(f"more than one value field ({', '.join(present)})")
    if not present:
        if "s" not in record:
            raise ValueError("no value (v, vs, vb, vd or s)")
        if not _number(record["s"]):
            raise ValueError("s must be a number")
        return record["s"] + base_sum
    field = present[0]
    value = record[field]
    if field == "v":
        if not _number(value):
            raise ValueError("v must be a number")
        return value + base_value if base_value else value
    if field == "vs":
        if not isinstance(value, str):
            raise ValueError("vs must be a string")
        return value
    if field == "vb":
        if not isinstance(value, bool):
            raise ValueError("vb must be true or false")
        return value
    if not isinstance(value, str):
        raise ValueError("vd must be a base64url string")
    try:
        base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("vd is not base64url") from None
    return value


def resolve(pack: Any, now: float) -> list[Record]:
    """The records of `pack` with base fields applied (RFC 8428 §4.6); a malformed pack as a whole is 400 naming the
    field, a malformed record is marked so (to be quarantined)."""
    if not isinstance(pack, list):
        raise _bad("body", "须为记录数组", "a pack must be a JSON array of records")
    if not pack:
        raise _bad("body", "记录数组为空", "the pack has no records")
    if len(pack) > MAX_RECORDS:
        raise _bad("body", f"一次最多 {MAX_RECORDS} 条记录", f"at most {MAX_RECORDS} records a request")
    base_name, base_time, base_unit, base_value, base_sum = "", 0.0, None, 0.0, 0.0
    records: list[Record] = []
    for i, record in enumerate(pack):
        if not isinstance(record, dict):
            raise _bad(f"[{i}]", "记录须为 JSON 对象", "a record must be a JSON object")
        must = [k for k in record if k.endswith("_")]
        if must:
            raise _bad(f"[{i}].{must[0]}", "不支持必须理解的字段", "a must-understand field is not supported")
        if "bver" in record and not (_number(record["bver"]) and 0 < record["bver"] <= VERSION):
            raise _bad(f"[{i}].bver", f"不支持的版本（最高 {VERSION}）", f"unsupported version (at most {VERSION})")
        if "bn" in record:
            if not isinstance(record["bn"], str):
                raise _bad(f"[{i}].bn", "bn 须为字符串", "bn must be a string")
            base_name = record["bn"]
        if "bu" in record:
            if not isinstance(record["bu"], str):
                raise _bad(f"[{i}].bu", "bu 须为字符串", "bu must be a string")
            base_unit = record["bu"]
        for field in BASE_NUMBERS:
            if field in record and not (_number(record[field]) and math.isfinite(record[field])):
                raise _bad(f"[{i}].{field}", f"{field} 须为有限数", f"{field} must be a finite number")
        base_time = record.get("bt", base_time)
        base_value = record.get("bv", base_value)
        base_sum = record.get("bs", base_sum)
        records.append(_record(record, base_name, base_time, base_unit, base_value, base_sum, now))
    return records


def _record(record: dict, base_name: str, base_time: float, base_unit: str | None, base_value: float,
            base_sum: float, now: float) -> Record:
    own = record.get("n", "")
    unit = record.get("u", base_unit)
    t = record.get("t", 0)
    name = base_name + own if isinstance(own, str) else ""
    at = base_time + t if _number(t) else math.nan
    if math.isfinite(at) and at < RELATIVE_BELOW:
        at += now
    out = Record(name, own if isinstance(own, str) else "", at, unit if isinstance(unit, str) else None, None,
                 record)
    if not isinstance(own, str):
        out.malformed = "n must be a string"
    elif len(name) > MAX_NAME:
        out.malformed = f"name longer than {MAX_NAME} characters"
    elif not NAME.match(name):
        out.malformed = f"invalid name {name[:100]!r}"
    elif not _number(t):
        out.malformed = "t must be a number"
    elif "u" in record and not isinstance(record["u"], str):
        out.malformed = "u must be a string"
    else:
        try:
            out.value = _value(record, base_value, base_sum)
        except ValueError as exc:
            out.malformed = str(exc)
    return out


def _match(streams: list[Datastream], code: str, record: Record) -> Datastream | None:
    """The device's datastream a record names: its key or name, as the full name, as `<code><sep><key>` or as the
    record's own name after the base name."""
    for ds in streams:
        if record.name in (ds.key, ds.name) or any(record.name == f"{code}{s}{ds.key}" for s in SEPARATORS):
            return ds
    if record.own_name:
        return next((ds for ds in streams if record.own_name in (ds.key, ds.name)), None)
    return None


def _foreign_prefix(db: Session, thing: Thing, names: set[str]) -> str | None:
    """A full name that starts with another device's code and a separator (a write to another device's data)."""
    prefixes = {name[:i] for name in names for i, ch in enumerate(name) if ch in SEPARATORS and i}
    if not prefixes:
        return None
    ordered = sorted(prefixes)
    for start in range(0, len(ordered), 500):
        other = db.scalar(select(Thing.code).where(Thing.code.in_(ordered[start:start + 500]), Thing.id != thing.id)
                          .limit(1))
        if other is not None:
            return next(n for n in sorted(names) if n.startswith(other))
    return None


def incoming(db: Session, thing: Thing, records: list[Record]) -> list[Incoming]:
    """The records as ingest's observations of `thing`; a record naming another device's datastream refuses the
    request (403), one naming nothing the device has is quarantined as an unknown datastream."""
    streams = list(db.scalars(select(Datastream).where(Datastream.thing_id == thing.id).order_by(Datastream.id)))
    matched = {id(r): _match(streams, thing.code, r) for r in records}
    foreign = _foreign_prefix(db, thing, {r.name for r in records if matched[id(r)] is None and not r.malformed})
    if foreign is not None:
        raise Forbidden(f"设备 {thing.code} 无权写入 {foreign}", f"device {thing.code} may not write to {foreign}",
                        code="not_your_datastream", field="n")
    items = []
    for r in records:
        ds = matched[id(r)]
        items.append(Incoming(ds.id if ds is not None else (r.name or r.own_name or "?"), r.time, r.value,
                              raw=r.raw, malformed=r.malformed, unit=r.unit))
    return items
