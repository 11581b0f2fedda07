"""Air stations' AQI from their devices' data (HJ 633-2012): each station's latest hourly report, the city's (HJ 663:
the mean over the stations of that hour), rankings of stations and of districts, and the daily AQI trend.

Everything is read through the IoT domain's service and rollups, so a caller sees the stations its visibility rules
let it see (its department's, the open ones, all for the admin). A station's district is the 区县 boundary that
holds it in the city's standard address layer (geo.addresses) when the caller may use one, else its device's
`district_code` property (GB/T 2260), else 未划分区县."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy.orm import Session

from zhicheng.core import clock
from zhicheng.core.actor import Actor
from zhicheng.core.errors import AppError, Invalid, NotFound
from zhicheng.core.ids import regions
from zhicheng.iot import rollups, service
from zhicheng.policy import audit
from zhicheng.scenarios.environment import aqi, city
from zhicheng.scenarios.environment.values import exact

AIR_TYPE = "air_station"
POLLUTANTS = tuple(aqi.HOURLY)  # so2 no2 co o3 pm10 pm25: the air station's datastream keys and the hourly inputs
MAX_STATIONS = 1000  # stations read for one answer (a city has tens)
MAX_DAYS = 31
HOUR = timedelta(hours=1)
NO_DISTRICT = ("", "未划分区县")


@dataclass
class Station:
    """A readable air station: its device, place, district and pollutant datastreams (key → id)."""

    id: int
    code: str
    name: str
    department_id: int
    open: bool
    lon: float | None
    lat: float | None
    streams: dict[str, int]
    properties: dict[str, Any]
    district: tuple[str, str] = NO_DISTRICT  # (GB/T 2260 code, name)
    district_source: str = "none"  # address_layer | property | none
    hour: datetime | None = None  # the start (UTC) of the latest hour it reported
    values: dict[str, float] = field(default_factory=dict)
    report: aqi.AqiResult | None = None


def air_stations(db: Session, *, actor: Actor, department_id: int | None = None) -> list[Station]:
    """The air stations `actor` may read (at most MAX_STATIONS), by code, with their districts."""
    found, _total = service.find_devices(db, actor=actor, device_type=AIR_TYPE, department_id=department_id,
                                         limit=MAX_STATIONS)
    things = [t for t, _interval in found]
    ids = [t.id for t in things]
    positions = service.positions_of(db, ids)
    streams = service.datastreams_of_things(db, actor=actor, thing_ids=ids)
    out = []
    for t in things:
        lon, lat = positions.get(t.id) or (None, None)
        out.append(Station(t.id, t.code, t.name, t.department_id, t.open, lon, lat,
                           {d.key: d.id for d in streams.get(t.id, []) if d.key in POLLUTANTS},
                           dict(t.properties or {})))
    _districts(db, actor, out)
    return out


def _districts(db: Session, actor: Actor, stations: list[Station]) -> None:
    """Each station's district: the address layer's 区县 holding it, else its `district_code` property."""
    located = _from_address_layer(db, actor, [s for s in stations if s.lon is not None])
    for s in stations:
        if s.id in located:
            s.district, s.district_source = located[s.id], "address_layer"
            continue
        code = str(s.properties.get("district_code") or "").strip()
        if code:
            region = regions.lookup(code)
            s.district = (code, region.name if region else str(s.properties.get("district") or code))
            s.district_source = "property"
        elif s.properties.get("district"):
            s.district, s.district_source = ("", str(s.properties["district"])[:50]), "property"


def _from_address_layer(db: Session, actor: Actor, stations: list[Station]) -> dict[int, tuple[str, str]]:
    """Districts from the standard address layer's boundaries (geo.addresses), when there is one the actor may
    use; one audit entry for the lookup."""
    if not stations or not actor.is_authenticated:
        return {}
    from zhicheng.geo.addresses import service as addresses
    from zhicheng.geo.addresses.match import reverse

    try:
        geocoder, used = addresses.geocoder_for(db, actor=actor)
    except AppError:  # no address layer, no data yet, or not this actor's to use: the devices' properties then
        db.rollback()
        return {}
    out = {}
    for s in stations:
        district = reverse(geocoder.index, s.lon, s.lat).get("district")
        if district and district.get("code"):
            out[s.id] = (district["code"], district.get("name") or district["code"])
    audit.record(db, actor=actor, action="geo.reverse", target_kind="catalog.dataset", target_id=used.resource_id,
                 detail={"version": used.version, "count": len(stations), "for": "environment.stations"})
    db.commit()
    return out


def _hour_of(at: datetime) -> datetime:
    return rollups.INTERVALS["hour"].floor(at)


def _hourly_means(db: Session, actor: Actor, ids: list[int], start: datetime, end: datetime
                  ) -> Iterable[tuple[int, datetime, float]]:
    """(datastream, hour start UTC, mean) of the hourly rollups in [start, end), read in chunks that keep each read
    within the rollups' per-request bounds."""
    span = rollups.Span(rollups.INTERVALS["hour"], "mean", start, end)
    per_chunk = max(1, min(rollups.MAX_DATASTREAMS, rollups.MAX_BUCKETS // max(1, span.buckets())))
    for first in range(0, len(ids), per_chunk):
        for stream in rollups.series(db, actor=actor, datastream_ids=ids[first:first + per_chunk], span=span):
            for at, value in stream["values"]:
                yield stream["id"], at.astimezone(UTC), value


def latest_reports(db: Session, *, actor: Actor, stations: list[Station]) -> None:
    """Fill each station's latest hour, its pollutants' hourly means of that hour and its hourly AQI report."""
    latest = service.latest_observations(db, actor=actor,
                                         datastream_ids=[i for s in stations for i in s.streams.values()])
    by_hour: dict[datetime, list[Station]] = {}
    for s in stations:
        times = [clock.aware(latest[i].phenomenon_time) for i in s.streams.values() if i in latest]
        if times:
            s.hour = _hour_of(max(times))
            by_hour.setdefault(s.hour, []).append(s)
    for hour, group in by_hour.items():
        owner = {i: (s, key) for s in group for key, i in s.streams.items()}
        for ds, _at, value in _hourly_means(db, actor, list(owner), hour, hour + HOUR):
            s, key = owner[ds]
            s.values[key] = value
        for s in group:
            if s.values:
                s.report = aqi.calculate("hour", s.values)


def _report_out(report: aqi.AqiResult | None) -> dict[str, Any] | None:
    if report is None:
        return None
    return {"aqi": report.aqi, "level": report.level, "category": report.category, "category_en": report.category_en,
            "colour": report.hex, "primary_pollutants": report.primary_pollutants,
            "primary_pollutant_names": report.primary_names,
            "primary_pollutant_names_en": [report.pollutants[p].name_en for p in report.primary_pollutants],
            "iaqi": {k: p.iaqi for k, p in report.pollutants.items()}, "missing": report.missing}


def station_out(s: Station, current: datetime | None) -> dict[str, Any]:
    """A station as the API and the page show it."""
    return {"id": s.id, "code": s.code, "name": s.name, "department_id": s.department_id, "open": s.open,
            "lon": s.lon, "lat": s.lat, "district": {"code": s.district[0], "name": s.district[1],
                                                      "source": s.district_source},
            "hour": clock.local(s.hour) if s.hour else None, "current": s.hour is not None and s.hour == current,
            "values": dict(s.values), "report": _report_out(s.report)}


def _city(stations: list[Station]) -> city.CityResult | None:
    with_data = [s.values for s in stations if s.values]
    return city.city_aqi(with_data, "hour") if with_data else None


def _city_out(result: city.CityResult | None) -> dict[str, Any] | None:
    if result is None:
        return None
    return {**_report_out(result.report), "means": result.means, "stations": result.station_count,
            "notes": result.notes}


@dataclass
class Overview:
    """The latest hour of the city: its stations, its own report, its districts."""

    hour: datetime | None
    stations: list[Station]
    city: city.CityResult | None
    districts: list[dict[str, Any]]


def overview(db: Session, *, actor: Actor, department_id: int | None = None) -> Overview:
    """The stations' latest reports, the city's report of the latest hour (the stations that reported in it) and
    the districts' (the same mean over each district's stations of that hour); one audit entry."""
    stations = air_stations(db, actor=actor, department_id=department_id)
    latest_reports(db, actor=actor, stations=stations)
    hour = max((s.hour for s in stations if s.hour is not None), default=None)
    current = [s for s in stations if s.hour == hour and s.values]
    groups: dict[tuple[str, str], list[Station]] = {}
    for s in current:
        groups.setdefault(s.district, []).append(s)
    districts = []
    for (code, name), members in groups.items():
        result = _city(members)
        districts.append({"code": code, "name": name, "stations": len(members),
                          "report": _city_out(result)})
    _audit(db, actor, "environment.stations.read", {"stations": len(stations), "hour": hour.isoformat() if hour
                                                    else None})
    return Overview(hour, stations, _city(current), districts)


def _audit(db: Session, actor: Actor, action: str, detail: dict[str, Any]) -> None:
    audit.record(db, actor=actor, action=action, target_kind="iot.device", detail=detail)
    db.commit()


def ranked(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Items by AQI, best first (ties share a rank, the next rank skips: 1, 2, 2, 4); those without one last."""
    with_aqi = sorted((i for i in items if i["report"]), key=lambda i: (i["report"]["aqi"], i.get("name") or ""))
    out, rank, last = [], 0, None
    for n, item in enumerate(with_aqi, start=1):
        if item["report"]["aqi"] != last:
            rank, last = n, item["report"]["aqi"]
        out.append({**item, "rank": rank})
    return out + [{**i, "rank": None} for i in items if not i["report"]]


def overview_out(view: Overview) -> dict[str, Any]:
    """The JSON of GET /api/v1/environment/stations."""
    return {"hour": clock.local(view.hour) if view.hour else None, "standard": aqi.STANDARD,
            "city": _city_out(view.city), "stations": [station_out(s, view.hour) for s in view.stations],
            "levels": levels_out()}


def ranking_out(view: Overview) -> dict[str, Any]:
    """The JSON of GET /api/v1/environment/ranking: the stations of the latest hour and the districts."""
    current = [station_out(s, view.hour) for s in view.stations if s.hour == view.hour and s.report]
    return {"hour": clock.local(view.hour) if view.hour else None, "standard": aqi.STANDARD,
            "city": _city_out(view.city), "stations": ranked(current), "districts": ranked(view.districts)}


def levels_out() -> list[dict[str, Any]]:
    """HJ 633 Table 2 with its Appendix A colours, for legends."""
    return [{"level": lv.level, "name": lv.name, "category": lv.category, "category_en": lv.category_en,
             "low": lv.low, "high": lv.high, "colour": lv.hex} for lv in aqi.LEVELS]


# -- the daily trend -----------------------------------------------------------------------------------------------

def parse_days(value: Any) -> int:
    """The number of days of a trend (1..MAX_DAYS); Invalid naming `days`."""
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise Invalid("days 须为整数", "days must be a whole number", field="days") from None
    if not 1 <= days <= MAX_DAYS:
        raise Invalid(f"days 须在 1 到 {MAX_DAYS} 之间", f"days must be within 1..{MAX_DAYS}", field="days")
    return days


def daily_trend(db: Session, *, actor: Actor, days: int = 7, station_id: int | None = None,
                department_id: int | None = None) -> dict[str, Any]:
    """The daily AQI (日报) of the last `days` Beijing days up to today, of the city (each hour the mean over the
    stations that gave it, HJ 663) or of one station: each day's 24 hourly values → 24-hour means, the largest
    1-hour O3 and the largest 8-hour O3 mean (GB 3095 data-validity rules) → HJ 633. A day without enough hours
    has no AQI and says why. Memory: running sums per hour, whatever the number of stations."""
    days = parse_days(days)
    stations = air_stations(db, actor=actor, department_id=department_id)
    if station_id is not None:
        stations = [s for s in stations if s.id == station_id]
        if not stations:
            raise NotFound(f"空气站 {station_id} 不存在", f"air station {station_id} not found", field="station")
    today = clock.now().astimezone(rollups.BEIJING).replace(hour=0, minute=0, second=0, microsecond=0)
    start = (today - timedelta(days=days - 1)).astimezone(UTC)
    end = (today + timedelta(days=1)).astimezone(UTC)
    sums: dict[tuple[datetime, str], list] = {}  # (hour, pollutant) -> [sum, count]
    owner = {i: key for s in stations for key, i in s.streams.items()}
    for ds, at, value in _hourly_means(db, actor, list(owner), start, end):
        cell = sums.setdefault((at, owner[ds]), [Fraction(0), 0])
        cell[0] += exact(value, field=owner[ds], name=owner[ds])
        cell[1] += 1
    out = []
    for n in range(days):
        day = start + timedelta(days=n)
        hours = []
        for h in range(24):
            at = day + timedelta(hours=h)
            hours.append({k: sums[(at, k)][0] / sums[(at, k)][1] for k in POLLUTANTS if (at, k) in sums})
        inputs, notes = city.daily_from_hours(hours)
        given = {k: v for k, v in inputs.items() if v is not None}
        report = None
        if given:
            try:
                report = aqi.calculate("day", given)
            except Invalid as exc:  # only a value the standard does not index: the day has no AQI
                notes.append({"zh": exc.zh, "en": exc.en})
        out.append({"date": day.astimezone(rollups.BEIJING).date().isoformat(),
                    "hours": sum(1 for h in hours if h), "report": _report_out(report), "notes": notes})
    _audit(db, actor, "environment.trend.read", {"days": days, "station": station_id, "stations": len(stations)})
    return {"days": out, "station": station_id, "stations": len(stations), "standard": aqi.STANDARD}
