"""Replay of a recorded hourly series into registered devices, through ingest (channel "replay"): the UCI Beijing
multi-site air-quality CSVs, or the hourly precipitation of the UCI five-cities PM2.5 CSVs (a rain-gauge feed),
streamed row by row, paced by a speed factor, optionally shifted so the last hour is now."""

from __future__ import annotations

import csv
import gzip
import heapq
import itertools
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhicheng.core import clock
from zhicheng.core.actor import Actor
from zhicheng.core.errors import Invalid, NotFound
from zhicheng.iot import ingest, service
from zhicheng.iot.models import Thing

CHANNEL = "replay"
SOURCE = "UCI Beijing Multi-Site Air-Quality (Zhang et al., 2017), CC BY 4.0"
STATIONS = ("Aotizhongxin", "Changping", "Dingling", "Dongsi", "Guanyuan", "Gucheng", "Huairou", "Nongzhanguan",
            "Shunyi", "Tiantan", "Wanliu", "Wanshouxigong")
# column -> (datastream key, factor). The files give CO in µg/m³; the air station's CO datastream is mg/m³ (HJ 633)
COLUMNS = {"PM2.5": ("pm25", 1.0), "PM10": ("pm10", 1.0), "SO2": ("so2", 1.0), "NO2": ("no2", 1.0),
           "CO": ("co", 0.001), "O3": ("o3", 1.0), "TEMP": ("temperature", 1.0), "PRES": ("pressure", 1.0),
           "WSPM": ("wind_speed", 1.0)}
TIME_COLUMNS = ("year", "month", "day", "hour", "station")
RAIN_SOURCE = "UCI PM2.5 Data of Five Chinese Cities (Liang et al., 2016), CC BY 4.0"
CITIES = ("Beijing", "Shanghai", "Guangzhou", "Chengdu", "Shenyang")
RAIN_KEY = "precipitation_1h"  # the rain gauge's hourly datastream
RAIN_COLUMNS = ("year", "month", "day", "hour", "precipitation")
RAIN_MAX = 300.0  # mm in an hour: above it a cell is a sentinel (the Beijing file holds 999990), skipped as a gap
FLUSH_AT = 2000  # observations held per device before an ingest at full speed: memory stays bounded


@dataclass
class Hour:
    """One station's recorded hour: its instant (Beijing time, as the files give it) and its values by datastream."""

    at: datetime
    station: str
    values: dict[str, float]
    gaps: int = 0  # NA cells


@dataclass
class Replayed:
    """What a replay did."""

    rows: int = 0  # station-hours read
    values: int = 0  # values sent to ingest
    gaps: int = 0  # NA cells skipped
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    interrupted: bool = False
    first: datetime | None = None  # recorded times replayed
    last: datetime | None = None
    shift: timedelta = field(default_factory=timedelta)

    def as_dict(self) -> dict:
        return {"rows": self.rows, "values": self.values, "gaps": self.gaps, "stored": self.stored,
                "duplicates": self.duplicates, "quarantined": self.quarantined, "interrupted": self.interrupted,
                "first": self.first.isoformat() if self.first else None,
                "last": self.last.isoformat() if self.last else None, "shift_seconds": self.shift.total_seconds()}


def station_name(given: str, names: tuple[str, ...] = STATIONS) -> str:
    """The UCI station (or five-cities city, with `names=CITIES`) named `given` (any case), or Invalid."""
    found = next((s for s in names if s.lower() == given.strip().lower()), None)
    if found is None:
        raise Invalid(f"未知站点 {given}；可用：{', '.join(names)}",
                      f"unknown station {given}; known: {', '.join(names)}", field="map")
    return found


def parse_mapping(pairs: list[str], names: tuple[str, ...] = STATIONS) -> dict[str, str]:
    """`STATION=DEVICE` pairs (DEVICE: a device id or code) as {station: device}."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        station, sep, device = pair.partition("=")
        if not sep or not station.strip() or not device.strip():
            raise Invalid(f"映射须为 站点=设备：{pair}", f"a mapping is STATION=DEVICE, not {pair!r}", field="map")
        mapping[station_name(station, names)] = device.strip()
    return mapping


def _device(db: Session, actor: Actor, ref: str) -> Thing:
    thing_id = int(ref) if ref.isdigit() else db.scalar(select(Thing.id).where(Thing.code == ref))
    if thing_id is None:
        raise NotFound(f"设备 {ref} 不存在", f"device {ref} not found", field="map")
    try:
        return service.get_device(db, actor=actor, thing_id=thing_id)
    except NotFound:
        raise NotFound(f"设备 {ref} 不存在", f"device {ref} not found", field="map") from None


def resolve_devices(db: Session, *, actor: Actor, mapping: dict[str, str] | None = None,
                    names: tuple[str, ...] = STATIONS) -> dict[str, Thing]:
    """{station: device}: the devices `mapping` names, or else every device whose name or `station` property names a
    station. Each must be enabled and `actor` must manage it."""
    if mapping:
        found = {station: _device(db, actor, ref) for station, ref in mapping.items()}
    else:
        found = {}
        for thing in service.list_devices(db, actor=actor):
            named = str((thing.properties or {}).get("station", "")).lower()
            for station in names:
                if station not in found and (named == station.lower() or station.lower() in thing.name.lower()):
                    found[station] = thing
        if not found:
            raise NotFound("没有设备的名称或 station 属性指明站点；请用 --map 站点=设备",
                           "no device names a station in its name or station property; use --map STATION=DEVICE",
                           field="map")
    for thing in found.values():
        service.check_authorized(actor, thing, "update")
        if not thing.enabled:
            raise Invalid(f"设备 {thing.code} 已停用", f"device {thing.code} is disabled", field="map")
    return found


def sources_for(source: Path, stations: list[str]) -> dict[str, Path]:
    """{station: file}: `source` itself (a CSV or .csv.gz holding the stations' rows), or in a folder each station's
    PRSA_Data_<Station>_*.csv(.gz)."""
    if source.is_dir():
        found = {}
        for station in stations:
            files = sorted(source.glob(f"PRSA_Data_{station}_*.csv*"))
            if not files:
                raise NotFound(f"{source} 中没有站点 {station} 的文件", f"no file for station {station} in {source}",
                               field="source")
            found[station] = files[0]
        return found
    if not source.is_file():
        raise NotFound(f"文件 {source} 不存在", f"file {source} not found", field="source")
    return dict.fromkeys(stations, source)


@contextmanager
def _rows(path: Path, required: tuple[str, ...] = TIME_COLUMNS) -> Iterator[csv.DictReader]:
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in required if c not in (reader.fieldnames or ())]
            if missing:
                raise Invalid(f"{path.name} 缺少列：{', '.join(missing)}",
                              f"{path.name} lacks the columns {', '.join(missing)}", field="source")
            yield reader
    except (OSError, UnicodeDecodeError, EOFError, gzip.BadGzipFile) as exc:
        raise Invalid(f"无法读取 {path}：{exc}", f"cannot read {path}: {exc}", field="source") from None


def _number(cell: str | None) -> float | None:
    if cell is None or cell.strip() in ("", "NA", "NaN", "nan"):
        return None
    try:
        value = float(cell)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def read_hours(path: Path, station: str, since: datetime | None = None,
               until: datetime | None = None) -> Iterator[Hour]:
    """`station`'s hours in `path` within [since, until), in file order (time order in the UCI files), streamed."""
    with _rows(path) as reader:
        for line, row in enumerate(reader, start=2):
            if row.get("station") != station:
                continue
            try:
                at = datetime(int(row["year"]), int(row["month"]), int(row["day"]), int(row["hour"]),
                              tzinfo=clock.LOCAL_TZ)
            except (TypeError, ValueError):
                raise Invalid(f"{path.name} 第 {line} 行时间无效", f"{path.name} line {line}: invalid time",
                              field="source") from None
            if since is not None and at < since:
                continue
            if until is not None and at >= until:
                break
            values, gaps = {}, 0
            for column, (key, factor) in COLUMNS.items():
                value = _number(row.get(column))
                if value is None:
                    gaps += column in row
                else:
                    values[key] = round(value * factor, 6)
            yield Hour(at, station, values, gaps)


def rain_sources_for(source: Path, cities: list[str]) -> dict[str, Path]:
    """{city: file}: `source` itself (a CSV or .csv.gz: one city's file, or one with a `city` column), or in a
    folder each city's <City>PM<dates>.csv(.gz) as UCI publishes them."""
    if source.is_dir():
        found = {}
        for city in cities:
            files = sorted(source.glob(f"{city}PM*.csv*"))
            if not files:
                raise NotFound(f"{source} 中没有城市 {city} 的文件", f"no file for city {city} in {source}",
                               field="source")
            found[city] = files[0]
        return found
    if not source.is_file():
        raise NotFound(f"文件 {source} 不存在", f"file {source} not found", field="source")
    return dict.fromkeys(cities, source)


def read_rain_hours(path: Path, city: str, since: datetime | None = None,
                    until: datetime | None = None) -> Iterator[Hour]:
    """`city`'s hourly precipitation (mm) in a five-cities file within [since, until), streamed: a file with a `city`
    column keeps that city's rows; one without (UCI's per-city files) is that city's. NA, negative and sentinel
    cells (above RAIN_MAX) are gaps."""
    with _rows(path, RAIN_COLUMNS) as reader:
        by_city = "city" in (reader.fieldnames or ())
        for line, row in enumerate(reader, start=2):
            if by_city and row.get("city") != city:
                continue
            try:
                at = datetime(int(row["year"]), int(row["month"]), int(row["day"]), int(row["hour"]),
                              tzinfo=clock.LOCAL_TZ)
            except (TypeError, ValueError):
                raise Invalid(f"{path.name} 第 {line} 行时间无效", f"{path.name} line {line}: invalid time",
                              field="source") from None
            if since is not None and at < since:
                continue
            if until is not None and at >= until:
                if by_city:
                    continue
                break
            value = _number(row.get("precipitation"))
            if value is None or not 0 <= value <= RAIN_MAX:
                yield Hour(at, city, {}, 1)
            else:
                yield Hour(at, city, {RAIN_KEY: round(value, 3)})


Reader = Callable[[Path, str, datetime | None, datetime | None], Iterator[Hour]]


@dataclass(frozen=True)
class Series:
    """A kind of recorded series: its names (stations or cities), how to find and read its files, its credit."""

    key: str
    names: tuple[str, ...]
    sources_for: Callable[[Path, list[str]], dict[str, Path]]
    reader: Reader
    source: str


def series_kind(key: str) -> Series:
    """`beijing` (UCI Beijing multi-site air quality) or `five-cities` (UCI five cities' hourly rain), or Invalid."""
    kinds = {"beijing": Series("beijing", STATIONS, sources_for, read_hours, SOURCE),
             "five-cities": Series("five-cities", CITIES, rain_sources_for, read_rain_hours, RAIN_SOURCE)}
    if key.strip().lower() not in kinds:
        raise Invalid(f"未知数据源 {key}；可用：beijing、five-cities", f"unknown source {key}; known: beijing, five-cities",
                      field="source")
    return kinds[key.strip().lower()]


def _merged(sources: dict[str, Path], since: datetime | None, until: datetime | None,
            reader: Reader = read_hours) -> Iterator[Hour]:
    """Every station's hours, merged in time order (one open file per station, so memory stays bounded)."""
    streams = [reader(path, station, since, until) for station, path in sources.items()]
    return heapq.merge(*streams, key=lambda h: h.at)


def survey(sources: dict[str, Path], since: datetime | None = None,
           until: datetime | None = None, reader: Reader = read_hours) -> tuple[int, datetime | None, datetime | None]:
    """(station-hours, first and last recorded hour) within the window: a first streamed pass."""
    rows, first, last = 0, None, None
    for hour in _merged(sources, since, until, reader):
        rows += 1
        first = first or hour.at
        last = hour.at
    return rows, first, last


def replay(db: Session, *, devices: dict[str, Thing], sources: dict[str, Path], speed: float = 0,
           since: datetime | None = None, until: datetime | None = None, shift_to_now: bool = False,
           progress: Callable[[int], None] | None = None,
           sleep: Callable[[float], None] = time.sleep, reader: Reader = read_hours,
           source_name: str = SOURCE) -> Replayed:
    """Send each recorded hour's values to its station's device through ingest. `speed`: recorded seconds per real
    second (1 real time, 3600 an hour a second, 0 as fast as possible). `shift_to_now`: times moved so the last
    hour is the current hour, each observation keeping its recorded time in its parameters. `reader`: read_hours
    (UCI Beijing) or read_rain_hours (five cities' precipitation, with `source_name=RAIN_SOURCE`). Ctrl-C stops
    after the last whole ingest (what was sent stays; a second run stores only what is missing)."""
    if not math.isfinite(speed) or speed < 0:
        raise Invalid("速度须为 0 或正数", "speed must be 0 or positive", field="speed")
    done = Replayed()
    if shift_to_now:
        _count, _first, last = survey(sources, since, until, reader)
        if last is not None:
            done.shift = clock.now().astimezone(clock.LOCAL_TZ).replace(minute=0, second=0, microsecond=0) - last
    keys = {station: {d.key for d in service.datastreams_of(db, thing.id)} for station, thing in devices.items()}
    held: dict[str, list[ingest.Incoming]] = {station: [] for station in devices}

    def flush() -> None:
        for station, items in held.items():
            if items:
                outcome = ingest.ingest(db, thing=devices[station], items=items, channel=CHANNEL)
                done.values += len(items)
                done.stored += len(outcome.stored)
                done.duplicates += len(outcome.duplicates)
                done.quarantined += len(outcome.quarantined)
                items.clear()

    try:
        previous: datetime | None = None
        for at, group in itertools.groupby(_merged(sources, since, until, reader), key=lambda h: h.at):
            if speed > 0 and previous is not None:
                sleep((at - previous).total_seconds() / speed)
            previous = at
            shown = at + done.shift
            parameters = {"replayed_from": source_name}
            if shift_to_now:
                parameters["recorded_at"] = at.isoformat()
            count = 0
            for hour in group:
                count += 1
                done.gaps += hour.gaps
                for key, value in hour.values.items():
                    if key in keys[hour.station]:
                        held[hour.station].append(ingest.Incoming(datastream=key, phenomenon_time=shown.isoformat(),
                                                                  result=value, parameters=parameters,
                                                                  raw=[shown.isoformat(), value]))
            done.rows += count
            done.first = done.first or at
            done.last = at
            if speed > 0 or max(len(items) for items in held.values()) >= FLUSH_AT:
                flush()
            if progress:
                progress(count)
        flush()
    except KeyboardInterrupt:
        db.rollback()
        done.interrupted = True
    return done
