"""The demo city's IoT feeds: the bundled real series (Beijing air quality, five cities' rain), the series derived
from them or generated (waterlogging, river levels, water quality, noise), their history seeded at load, the
background replay while `zhicheng demo` serves, and `replay_status()` for a page to show what is replayed."""

from __future__ import annotations

import logging
import math
import os
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from zhicheng.core import clock
from zhicheng.iot import ingest, replay, service

log = logging.getLogger(__name__)

CODE_PREFIX = "DEMO-"  # every demo device's code starts so; the replay feeds the enabled ones with a `feed`
CHANNEL = "replay"
SEED_CHANNEL = "demo"
AIR_FILE = "beijing_aq_2016-11-16_26.csv.gz"
RAIN_FILE = "five_cities_rain_2015-08-11_20.csv.gz"
HISTORY_HOURS = 72  # seeded at load: three days before the replay starts
REPLAY_HOURS = 154  # streamed while the demo serves
TOTAL_HOURS = HISTORY_HOURS + REPLAY_HOURS
# offset 0 of each bundled series (Beijing time): offset HISTORY_HOURS is the first replayed hour. The air replay
# starts at 2016-11-19 15:00, when PM2.5 is below 60 at every station and above 75 at eight of them two and three hours
# later; the rain replay at 2015-08-14 10:00, four hours before Guangzhou's 36.3 mm and 22.3 mm hours
AIR_START = datetime(2016, 11, 16, 15, tzinfo=clock.LOCAL_TZ)
RAIN_START = datetime(2015, 8, 11, 10, tzinfo=clock.LOCAL_TZ)
HISTORY_AIR_KEYS = frozenset({"pm25", "pm10", "so2", "no2", "co", "o3"})  # the AQI pollutants (HJ 633)
SECONDS_PER_HOUR = 10.0  # default pace: one recorded hour every 10 s (ZHICHENG_DEMO_REPLAY_SECONDS)
GENERATED = "系统生成的演示站点：位置为生成点，位于长沙市真实行政区范围内 / generated demo site inside Changsha's real districts"
AIR_CREDIT = (f"北京多站点空气质量实测小时数据 UCI Beijing Multi-Site Air-Quality Data, Zhang et al. (2017), CC BY 4.0; "
              f"2016-11-16…26, demo/data/{AIR_FILE}")
RAIN_CREDIT = (f"五城市逐时降水实测 UCI PM2.5 Data of Five Chinese Cities, Liang et al. (2016), CC BY 4.0; "
               f"2015-08-11…20, demo/data/{RAIN_FILE}")
# waterlogging model (generated, documented in docs/iot/demo.md): depth[t] = KEEP * depth[t-1] + GAIN * max(0,
# rain[t] - drain), cm; drain is the underpass's pumping and drainage capacity in mm/h
WATERLOGGING_KEEP = 0.5
WATERLOGGING_GAIN = 1.5  # cm of standing water per mm of rain the drains cannot take
# river level model (generated): level[t] = base + 0.15 sin(2πt/24) + RIVER_GAIN * wet[t], wet[t] = 0.97 wet[t-1]
# + rain[t] (the gauge's rain, mm): a slow rise after rain
RIVER_GAIN = 0.04
RIVER_KEEP = 0.97


@dataclass(frozen=True)
class Tables:
    """The bundled real series by offset (0 … TOTAL_HOURS-1): air[station][offset] → values, rain[city][offset] → mm."""

    air: dict[str, list[dict[str, float]]]
    rain: dict[str, list[float | None]]


def _bundled(name: str) -> Path:
    return Path(str(resources.files("zhicheng.demo").joinpath("data", name)))


@cache
def tables() -> Tables:
    """The bundled slices read once (12 stations × 226 hours and 5 cities × 226 hours: a few hundred kB)."""
    air_end, rain_end = AIR_START + timedelta(hours=TOTAL_HOURS), RAIN_START + timedelta(hours=TOTAL_HOURS)
    air: dict[str, list[dict[str, float]]] = {}
    for station in replay.STATIONS:
        slots: list[dict[str, float]] = [{} for _ in range(TOTAL_HOURS)]
        for hour in replay.read_hours(_bundled(AIR_FILE), station, AIR_START, air_end):
            slots[int((hour.at - AIR_START).total_seconds() // 3600)] = hour.values
        air[station] = slots
    rain: dict[str, list[float | None]] = {}
    for city in replay.CITIES:
        values: list[float | None] = [None] * TOTAL_HOURS
        for hour in replay.read_rain_hours(_bundled(RAIN_FILE), city, RAIN_START, rain_end):
            values[int((hour.at - RAIN_START).total_seconds() // 3600)] = hour.values.get(replay.RAIN_KEY)
        rain[city] = values
    return Tables(air, rain)


@cache
def _waterlogging(city: str, drain: float) -> tuple[float, ...]:
    depth, out = 0.0, []
    for mm in tables().rain[city]:
        depth = WATERLOGGING_KEEP * depth + WATERLOGGING_GAIN * max(0.0, (mm or 0.0) - drain)
        out.append(round(depth, 1))
    return tuple(out)


@cache
def _wetness(city: str) -> tuple[float, ...]:
    wet, out = 0.0, []
    for mm in tables().rain[city]:
        wet = RIVER_KEEP * wet + (mm or 0.0)
        out.append(wet)
    return tuple(out)


def _noise(code: str, offset: int, zone_day: float) -> dict[str, float]:
    rnd = random.Random(f"{code}:{offset}")
    hour = (AIR_START.hour + offset) % 24  # the demo's clock of day follows the air series
    day = 7 <= hour < 22  # GB 3096: 昼间 06–22; traffic is lower before 7
    leq = zone_day - (2.0 if day else 9.0) + rnd.uniform(-3.0, 4.0)
    return {"leq": round(leq, 1), "lmax": round(leq + rnd.uniform(8.0, 18.0), 1)}


def _water_quality(code: str, offset: int, base: dict[str, float]) -> dict[str, float]:
    if offset % 4:
        return {}  # a four-hourly station
    rnd = random.Random(f"{code}:{offset}")
    return {key: round(max(0.0, value * (1 + rnd.uniform(-0.08, 0.08))), 3) for key, value in base.items()}


def values_at(feed: dict, code: str, offset: int) -> tuple[dict[str, float], dict]:
    """The values of a device's `feed` (its Thing's properties["feed"]) at an offset, and their parameters."""
    kind = feed.get("kind")
    if kind == "air":
        recorded = AIR_START + timedelta(hours=offset)
        return dict(tables().air[feed["series"]][offset]), {"replayed_from": replay.SOURCE,
                                                             "recorded_at": recorded.isoformat(),
                                                             "series": feed["series"]}
    if kind == "rain":
        mm = tables().rain[feed["series"]][offset]
        recorded = RAIN_START + timedelta(hours=offset)
        return ({} if mm is None else {replay.RAIN_KEY: mm}), {"replayed_from": replay.RAIN_SOURCE,
                                                               "recorded_at": recorded.isoformat(),
                                                               "series": feed["series"]}
    if kind == "waterlogging":
        depth = _waterlogging(feed["series"], float(feed["drain_mm_h"]))[offset]
        return {"water_depth": depth}, {"generated": "waterlogging model from replayed rain", "rain": feed["series"]}
    if kind == "river":
        hour = (RAIN_START.hour + offset) % 24
        level = float(feed["base"]) + 0.15 * math.sin(hour / 24 * 2 * math.pi) + RIVER_GAIN * _wetness(
            feed["series"])[offset]
        return {"water_level": round(level, 2)}, {"generated": "river level model from replayed rain",
                                                  "rain": feed["series"]}
    if kind == "noise":
        return _noise(code, offset, float(feed["zone_day"])), {"generated": "noise"}
    if kind == "water_quality":
        return _water_quality(code, offset, feed["base"]), {"generated": "water quality"}
    return {}, {}


def stamp(offset: int, anchor: datetime) -> datetime:
    """Where an offset lands: the last offset (TOTAL_HOURS-1) at `anchor`'s hour (Beijing time), one hour apart."""
    hour = anchor.astimezone(clock.LOCAL_TZ).replace(minute=0, second=0, microsecond=0)
    return hour - timedelta(hours=TOTAL_HOURS - 1 - offset)


def feed_hours(db: Session, thing: Any, offsets: range, anchor: datetime, channel: str,
               only: frozenset[str] | None = None) -> ingest.Outcome:
    """Send a device's feed at `offsets` (stamped against `anchor`) through ingest, as the device; one commit.
    `only`: just these datastreams of an air station."""
    feed = (thing.properties or {}).get("feed") or {}
    items = []
    for offset in offsets:
        values, parameters = values_at(feed, thing.code, offset)
        if only is not None and feed.get("kind") == "air":
            values = {key: value for key, value in values.items() if key in only}
        at = stamp(offset, anchor).isoformat()
        items.extend(ingest.Incoming(datastream=key, phenomenon_time=at, result=value, parameters=parameters,
                                     raw=[at, value]) for key, value in values.items())
    return ingest.ingest(db, thing=thing, items=items, channel=channel) if items else ingest.Outcome()


def seed_history(db: Session, thing: Any, anchor: datetime | None = None) -> int:
    """A device's three days before the replay (offsets 0 … HISTORY_HOURS-1, ending REPLAY_HOURS before `anchor`,
    now by default; an air station's six AQI pollutants only, to keep the load quick); the number stored."""
    outcome = feed_hours(db, thing, range(HISTORY_HOURS), anchor or clock.now(), SEED_CHANNEL, HISTORY_AIR_KEYS)
    return len(outcome.stored)


# ------------------------------------------------------------------ sites

def site_in_street(rnd: random.Random, district: str, urban: bool = True) -> tuple[float, float, str]:
    """(lon, lat, street unit name): a point inside one of the district's real street units (a 街道 when `urban`),
    drawn with `rnd`; the street unit's boundary is approximate (demo/geography.py), the point is generated."""
    from shapely.geometry import Point

    from zhicheng.demo import geography

    units = [u for u in geography.street_units() if u.district_code == district and (not urban or u.kind == "街道")]
    units = units or [u for u in geography.street_units() if u.district_code == district]
    unit = rnd.choice(units)
    minx, miny, maxx, maxy = unit.geometry.bounds
    for _ in range(1000):
        lon, lat = rnd.uniform(minx, maxx), rnd.uniform(miny, maxy)
        if unit.geometry.contains(Point(lon, lat)):
            return round(lon, 6), round(lat, 6), unit.name
    centre = unit.geometry.representative_point()
    return round(centre.x, 6), round(centre.y, 6), unit.name


def district_of(lon: float, lat: float) -> str | None:
    """The code of the real district holding a point, or None outside Changsha."""
    from shapely.geometry import Point

    from zhicheng.demo import geography

    here = Point(lon, lat)
    return next((code for code, shape in geography.district_shapes().items() if shape.contains(here)), None)


@dataclass(frozen=True)
class DemoDevice:
    """One demo device to register: its code, type, owner, name, site and what feeds it."""

    code: str
    device_type: str
    officer: str  # the demo user registering it (a bureau's data officer)
    department: str  # the demo department key
    name: str
    lon: float
    lat: float
    description: str
    properties: dict


def ensure_devices(context, devices: list[DemoDevice], *, anchor: datetime | None = None) -> dict[str, int]:
    """Register each device not yet there (as its bureau's data officer), set its properties and seed its history;
    {"devices": newly registered, "observations": seeded}. A device whose code exists is left as it is."""
    db: Session = context.db
    existing = service.existing_codes(db, [d.code for d in devices])
    made = seeded = 0
    for spec in devices:
        if spec.code in existing:
            continue
        done = service.register_device(db, actor=context.actor(spec.officer),
                                       department_id=context.departments[spec.department].id,
                                       device_type=spec.device_type, code=spec.code, name=spec.name, lon=spec.lon,
                                       lat=spec.lat, description=spec.description, open=True)
        thing = service.set_properties(db, actor=context.actor(spec.officer), thing_id=done.thing.id,
                                       values={"generated": True, "site": GENERATED, **spec.properties})
        made += 1
        seeded += seed_history(db, thing, anchor)
    return {"devices": made, "observations": seeded}


@dataclass(frozen=True)
class DemoRule:
    """A rule to make from a scenario's rule template: for every device of its type in a department, or for one
    device (`code`) with `params` overriding the template's."""

    template: str
    officer: str
    department: str
    code: str | None = None
    params: dict | None = None


def ensure_rules(context, wanted: list[DemoRule]) -> int:
    """Make each rule (as the department's data officer) unless a rule from the same template already covers the
    same department or device; the number made."""
    from zhicheng.iot import rules

    db: Session = context.db
    made = 0
    for spec in wanted:
        department_id = context.departments[spec.department].id
        thing_id = None
        if spec.code is not None:
            thing = service.device_by_code(db, spec.code)
            if thing is None:
                continue
            thing_id = thing.id
        if rules.made_from_template(db, template=spec.template, department_id=department_id, thing_id=thing_id):
            continue
        body = rules.from_template(spec.template, thing_id=thing_id, department_id=department_id)
        if spec.params:
            body["params"] = {**body["params"], **spec.params}
        rules.create(db, actor=context.actor(spec.officer), body=body)
        made += 1
    return made


# ------------------------------------------------------------------ the replay while the demo serves
# ------------------------------------------------------------------ the replay while the demo serves

SERIES = (
    {"series": "air", "devices": "12 空气站 air stations", "what": "PM2.5, PM10, SO2, NO2, CO, O3, 气温, 气压, 风速",
     "source": AIR_CREDIT, "real": True},
    {"series": "rain", "devices": "5 雨量站 rain gauges", "what": "小时降水量 hourly precipitation",
     "source": RAIN_CREDIT, "real": True},
    {"series": "waterlogging", "devices": "6 下穿通道渍水监测点 underpass sensors",
     "what": "渍水深度，由回放降水按简单模型推算（系统生成）/ depth derived from the replayed rain (generated)",
     "source": "docs/iot/demo.md", "real": False},
    {"series": "river", "devices": "3 湘江水位站 Xiang River level stations",
     "what": "水位，由回放降水推算（系统生成）/ level derived from the replayed rain (generated)",
     "source": "docs/iot/demo.md", "real": False},
    {"series": "generated", "devices": "水质站、噪声站 water-quality and noise stations",
     "what": "系统生成 / generated", "source": "zhicheng.demo.iot_replay", "real": False},
)

_lock = threading.Lock()
_status: dict = {"state": "idle"}


def _set_status(**changes) -> None:
    with _lock:
        _status.update(changes)


def replay_status() -> dict:
    """What the demo replays, from where, and how far it got: `state` (idle | running | finished | stopped | failed),
    `step` of `steps` (recorded hours), the recorded hour now being shown for air and rain (`air_recorded_at`,
    `rain_recorded_at`) and the time it is shown at (`shown_at`), `seconds_per_hour`, the counts `stored`,
    `duplicates`, `quarantined`, `error` (the last one, if any) and `series` (each replayed series: its devices,
    what, source with licence, and whether it is real or generated)."""
    with _lock:
        return {**_status, "series": [dict(s) for s in SERIES]}


class DemoReplay:
    """A background thread streaming offsets HISTORY_HOURS … TOTAL_HOURS-1 of every demo device's feed through
    ingest, one recorded hour every `seconds_per_hour`, shifted so the last hour lands at the start's current hour
    (`--shift-to-now`): the stamps march from a week ago towards now. `stop()` ends it between two hours."""

    def __init__(self, factory: sessionmaker[Session], *, seconds_per_hour: float = SECONDS_PER_HOUR,
                 anchor: datetime | None = None, steps: int | None = None) -> None:
        self.factory = factory
        self.seconds_per_hour = max(0.0, float(seconds_per_hour))
        self.anchor = anchor
        self.steps = REPLAY_HOURS if steps is None else max(0, min(steps, REPLAY_HOURS))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="zhicheng-demo-replay", daemon=True)

    def start(self) -> DemoReplay:
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        anchor = self.anchor or clock.now()
        _set_status(state="running", seconds_per_hour=self.seconds_per_hour, step=0, steps=self.steps,
                    started_at=clock.now().isoformat(), stored=0, duplicates=0, quarantined=0, error=None,
                    air_recorded_at=None, rain_recorded_at=None, shown_at=None)
        try:
            with self.factory() as db:
                codes = service.enabled_codes(db, CODE_PREFIX)
                for step, offset in enumerate(range(HISTORY_HOURS, HISTORY_HOURS + self.steps), start=1):
                    if self._stop.is_set():
                        break
                    self._hour(db, codes, offset, anchor)
                    _set_status(step=step, air_recorded_at=(AIR_START + timedelta(hours=offset)).isoformat(),
                                rain_recorded_at=(RAIN_START + timedelta(hours=offset)).isoformat(),
                                shown_at=stamp(offset, anchor).isoformat())
                    if self._stop.wait(self.seconds_per_hour):
                        break
        except Exception as exc:  # the server goes on without its replay; the status says why
            log.exception("demo replay failed")
            _set_status(state="failed", error=f"{type(exc).__name__}: {exc}")
            return
        _set_status(state="stopped" if self._stop.is_set() else "finished")

    def _hour(self, db: Session, codes: list[str], offset: int, anchor: datetime) -> None:
        for code in codes:
            thing = service.device_by_code(db, code)
            if thing is None or not thing.enabled or not (thing.properties or {}).get("feed"):
                continue
            try:
                outcome = feed_hours(db, thing, range(offset, offset + 1), anchor, CHANNEL)
            except Exception as exc:  # one device's hour failing (e.g. a locked database) skips that hour only
                db.rollback()
                log.warning("demo replay: %s at offset %s: %s", code, offset, exc)
                _set_status(error=f"{code}: {type(exc).__name__}: {exc}")
                continue
            with _lock:
                _status["stored"] += len(outcome.stored)
                _status["duplicates"] += len(outcome.duplicates)
                _status["quarantined"] += len(outcome.quarantined)


def replay_settings() -> tuple[bool, float]:
    """(on, seconds per recorded hour) from ZHICHENG_DEMO_REPLAY (0/false/no/off: off) and
    ZHICHENG_DEMO_REPLAY_SECONDS (default 10)."""
    on = os.environ.get("ZHICHENG_DEMO_REPLAY", "1").strip().lower() not in ("0", "false", "no", "off")
    text = os.environ.get("ZHICHENG_DEMO_REPLAY_SECONDS", "").strip()
    try:
        seconds = float(text) if text else SECONDS_PER_HOUR
    except ValueError:
        seconds = SECONDS_PER_HOUR
    return on, seconds if math.isfinite(seconds) and seconds >= 0 else SECONDS_PER_HOUR


@contextmanager
def running_replay(factory: sessionmaker[Session]) -> Iterator[DemoReplay | None]:
    """The demo replay running for the duration of the block (the server's), stopped when it ends."""
    on, seconds = replay_settings()
    runner = DemoReplay(factory, seconds_per_hour=seconds).start() if on else None
    try:
        yield runner
    finally:
        if runner is not None:
            runner.stop()
