"""Hourly and daily rollups of each datastream's numeric observations (count, min, max, sum; the mean is sum/count):
refreshed by ingest in its own transaction, rebuilt on demand, and read for charts.

Each touched bucket is recomputed from the observations themselves rather than incremented: a redelivered value
(stored once, so nothing changes), a late one and an out-of-order one all leave every bucket exactly what a GROUP BY
over the observations gives. One INSERT … SELECT … GROUP BY … ON CONFLICT DO UPDATE per bucket kind does it (SQLite's
or PostgreSQL's dialect insert), limited to the runs of buckets a batch touched, so its cost follows the batch, not
the history."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import ColumnElement, and_, case, delete, func, literal_column, or_, select, true
from sqlalchemy.orm import Session

from zhicheng.core import clock
from zhicheng.core.actor import Actor
from zhicheng.core.db import MAX_ID, dialect_insert
from zhicheng.core.errors import AppError, NotFound
from zhicheng.iot.access import readable_things
from zhicheng.iot.models import DailyRollup, Datastream, HourlyRollup, Observation, Thing

# a day is 00:00–24:00 +08:00, as Chinese reports count days (China has kept +08:00 without summer time since 1991)
BEIJING = timezone(timedelta(hours=8))
FUNCTIONS = ("mean", "min", "max", "sum", "count")
MAX_BUCKETS = 10_000  # per request, over all its datastreams
MAX_DATASTREAMS = 100
DEFAULT_SPAN = timedelta(days=7)
RANGES_PER_STATEMENT = 200  # OR'ed (datastream, from, to) runs in one statement: a scattered batch stays bounded


class BadParameter(AppError):
    status, code = 400, "bad_parameter"


@dataclass(frozen=True)
class Interval:
    """One bucket kind: its table, its length and where its buckets start."""

    name: str
    model: type
    step: timedelta

    def floor(self, at: datetime) -> datetime:
        """The start (UTC, aware) of the bucket holding `at`."""
        at = clock.aware(at).astimezone(UTC)
        if self.name == "hour":
            return at.replace(minute=0, second=0, microsecond=0)
        return at.astimezone(BEIJING).replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)

    def bucket_sql(self, dialect: str) -> ColumnElement:
        """The bucket start of an observation in SQL, in the form the bucket column stores (constants written as
        SQL, not bound, so the SELECT and the GROUP BY render the very same expression)."""
        t = Observation.phenomenon_time
        if dialect == "postgresql":
            utc = func.timezone(literal_column("'UTC'"), t)
            if self.name == "hour":
                return func.timezone(literal_column("'UTC'"), func.date_trunc(literal_column("'hour'"), utc))
            eight = literal_column("interval '8 hours'")
            return func.timezone(literal_column("'UTC'"), func.date_trunc(literal_column("'day'"), utc + eight) - eight)
        # SQLite keeps the UTC text '2026-01-01 05:00:00.000000'; a bucket must be written (and compare) the same way
        if self.name == "hour":
            return func.strftime(literal_column("'%Y-%m-%d %H:00:00.000000'"), t)
        return func.strftime(literal_column("'%Y-%m-%d %H:%M:%S.000000'"), t, literal_column("'+8 hours'"),
                             literal_column("'start of day'"), literal_column("'-8 hours'"))


INTERVALS = {"hour": Interval("hour", HourlyRollup, timedelta(hours=1)),
             "day": Interval("day", DailyRollup, timedelta(days=1))}



def _recompute(db: Session, interval: Interval, where: ColumnElement[bool]) -> None:
    """Upsert the buckets of `interval` of the numeric observations matching `where`, from those observations."""
    model = interval.model
    bucket = interval.bucket_sql(db.get_bind().dialect.name)
    value = Observation.result_number
    source = (select(Observation.datastream_id, bucket, func.count(value), func.min(value), func.max(value),
                     func.sum(value))
              .where(value.is_not(None), where)
              .group_by(Observation.datastream_id, bucket))
    stmt = dialect_insert(db)(model).from_select(["datastream_id", "bucket", "count", "min", "max", "sum"], source)
    stmt = stmt.on_conflict_do_update(index_elements=["datastream_id", "bucket"],
                                      set_={c: stmt.excluded[c] for c in ("count", "min", "max", "sum")})
    db.execute(stmt)


def _runs(starts: Iterable[datetime], step: timedelta) -> list[tuple[datetime, datetime]]:
    """Consecutive bucket starts merged into [from, to) runs: an hourly batch of a week is one run, not 168."""
    runs: list[list[datetime]] = []
    for start in sorted(set(starts)):
        if runs and runs[-1][1] == start:
            runs[-1][1] = start + step
        else:
            runs.append([start, start + step])
    return [(lo, hi) for lo, hi in runs]


def _lock(db: Session, datastream_ids: Iterable[int]) -> None:
    """Hold the datastreams' rows until commit (PostgreSQL's FOR NO KEY UPDATE, in id order): a concurrent batch of
    the same datastream waits here and its recompute then reads this one's observations (READ COMMITTED takes a new
    snapshot per statement). NO KEY UPDATE leaves the observations' foreign-key checks free. SQLite: one writer."""
    ids = sorted(set(datastream_ids))
    if ids:
        db.execute(select(Datastream.id).where(Datastream.id.in_(ids)).order_by(Datastream.id)
                   .with_for_update(key_share=True))


def refresh(db: Session, stored: list[dict[str, Any]]) -> None:
    """Recompute the hourly and daily buckets that the just stored observations (each a dict with datastream_id,
    phenomenon_time, result_number) fall in; in the caller's transaction, which commits."""
    numeric = [(row["datastream_id"], row["phenomenon_time"]) for row in stored if row.get("result_number") is not None]
    if not numeric:
        return
    _lock(db, (ds for ds, _at in numeric))
    for interval in INTERVALS.values():
        starts: dict[int, set[datetime]] = {}
        for ds, at in numeric:
            starts.setdefault(ds, set()).add(interval.floor(at))
        ranges = [(ds, lo, hi) for ds, s in sorted(starts.items()) for lo, hi in _runs(s, interval.step)]
        for first in range(0, len(ranges), RANGES_PER_STATEMENT):
            t = Observation.phenomenon_time
            _recompute(db, interval, or_(*[and_(Observation.datastream_id == ds, t >= lo, t < hi)
                                          for ds, lo, hi in ranges[first:first + RANGES_PER_STATEMENT]]))


def rebuild(db: Session, datastream_id: int | None = None) -> dict[str, int]:
    """Recompute every bucket of one datastream (or of all) from its observations, after a bulk load or a restore;
    committed. Returns the number of buckets per interval."""
    scope = true() if datastream_id is None else Observation.datastream_id == datastream_id
    ids = db.scalars(select(Datastream.id) if datastream_id is None
                     else select(Datastream.id).where(Datastream.id == datastream_id))
    _lock(db, ids)
    counts: dict[str, int] = {}
    for name, interval in INTERVALS.items():
        model = interval.model
        db.execute(delete(model) if datastream_id is None else delete(model).where(model.datastream_id == datastream_id))
        _recompute(db, interval, scope)
        counted = select(func.count()).select_from(model)
        counts[name] = db.scalar(counted if datastream_id is None else counted.where(model.datastream_id == datastream_id))
    db.commit()
    return counts


# -- reading -------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Span:
    """What a chart asks for: an interval, a function and the buckets overlapping [start, end)."""

    interval: Interval
    function: str
    start: datetime  # UTC, aware; the start of the first bucket
    end: datetime  # UTC, aware

    def buckets(self) -> int:
        return math.ceil((self.end - self.start) / self.interval.step)


def _instant(value: str, field: str) -> datetime:
    """An ISO 8601 instant or date (without offset: Beijing time) as UTC; a '+' the query string turned into a
    space is read as '+'."""
    for text in (value, value.replace(" ", "+")):
        try:
            at = datetime.fromisoformat(text)
            break
        except ValueError:
            continue
    else:
        raise BadParameter(f"{field} 须为 ISO 8601 时间", f"{field} must be an ISO 8601 time", field=field)
    try:
        at = (at if at.tzinfo else at.replace(tzinfo=clock.LOCAL_TZ)).astimezone(UTC)
        INTERVALS["day"].floor(at)  # a time whose Beijing day starts before year 1 is out of range too
    except OverflowError:
        raise BadParameter(f"{field} 超出范围", f"{field} out of range", field=field) from None
    return at


def parse_span(*, interval: str, function: str, start: str | None, end: str | None, datastreams: int = 1) -> Span:
    """The Span of the request's parameters (by default the last 7 days); 400 naming the parameter at fault."""
    if interval not in INTERVALS:
        raise BadParameter("interval 须为 hour 或 day", "interval must be hour or day", field="interval")
    if function not in FUNCTIONS:
        raise BadParameter(f"function 须为 {'、'.join(FUNCTIONS)} 之一", f"function must be one of {', '.join(FUNCTIONS)}",
                           field="function")
    upto = clock.now() if end is None else _instant(end, "to")
    try:
        since = upto - DEFAULT_SPAN if start is None else _instant(start, "from")
    except OverflowError:
        raise BadParameter("to 超出范围", "to out of range", field="to") from None
    if since >= upto:
        raise BadParameter("from 须早于 to", "from must be before to", field="from")
    span = Span(INTERVALS[interval], function, INTERVALS[interval].floor(since), upto)
    if span.buckets() * datastreams > MAX_BUCKETS:
        raise BadParameter(f"一次最多 {MAX_BUCKETS} 个时段（数据流数 × 时段数），请缩短时间范围或改用按天",
                           f"at most {MAX_BUCKETS} buckets a request (datastreams × buckets): shorten the range "
                           "or use interval=day", field="from")
    return span


def parse_ids(value: str | None) -> list[int]:
    """The datastream ids of "1,2,3" (in order, once each); 400 naming `datastreams`."""
    parts = [p.strip() for p in (value or "").split(",") if p.strip()]
    if not parts or not all(p.isdigit() and len(p) <= 18 for p in parts):
        raise BadParameter("datastreams 须为逗号分隔的数据流编号", "datastreams must be comma-separated datastream ids",
                           field="datastreams")
    ids = list(dict.fromkeys(int(p) for p in parts))
    if len(ids) > MAX_DATASTREAMS:
        raise BadParameter(f"一次最多 {MAX_DATASTREAMS} 个数据流", f"at most {MAX_DATASTREAMS} datastreams a request",
                           field="datastreams")
    return ids


def _value(function: str, count: int, low: float, high: float, total: float) -> float | int:
    if function == "mean":
        return total / count
    return {"min": low, "max": high, "sum": total, "count": count}[function]


def series(db: Session, *, actor: Actor, datastream_ids: list[int], span: Span, field: str = "datastreams"
           ) -> list[dict[str, Any]]:
    """Each datastream with its [time (Beijing), value] per bucket of `span`, read from the rollups; a datastream
    the actor may not read is 404 as if it did not exist (SensorThings' rule: `access.readable_things`)."""
    streams = {d.id: d for d in db.scalars(select(Datastream).join(Thing, Thing.id == Datastream.thing_id)
                                            .where(Datastream.id.in_([i for i in datastream_ids if 0 < i <= MAX_ID]),
                                                   readable_things(actor)))}
    missing = [i for i in datastream_ids if i not in streams]
    if missing:
        raise NotFound(f"数据流 {missing[0]} 不存在", f"datastream {missing[0]} not found", field=field)
    model = span.interval.model
    values: dict[int, list[list[Any]]] = {i: [] for i in datastream_ids}
    rows = db.execute(select(model.datastream_id, model.bucket, model.count, model.min, model.max, model.sum)
                      .where(model.datastream_id.in_(datastream_ids), model.bucket >= span.start,
                             model.bucket < span.end)
                      .order_by(model.datastream_id, model.bucket))
    for ds, bucket, count, low, high, total in rows:
        values[ds].append([clock.local(bucket), _value(span.function, count, low, high, total)])
    return [{"id": i, "name": streams[i].name, "thing_id": streams[i].thing_id,
             "unit_of_measurement": streams[i].unit_of_measurement, "values": values[i]} for i in datastream_ids]


MAX_RECENT = 5_000  # observations per datastream a `recent` read returns at most (the newest kept)


def _readable_ids(db: Session, actor: Actor, datastream_ids: list[int]) -> list[int]:
    ids = [i for i in dict.fromkeys(datastream_ids) if 0 < i <= MAX_ID]
    if not ids:
        return []
    return list(db.scalars(select(Datastream.id).join(Thing, Thing.id == Datastream.thing_id)
                           .where(Datastream.id.in_(ids), readable_things(actor))))


def window_sums(db: Session, *, actor: Actor, datastream_ids: list[int], end: datetime,
                windows: Iterable[timedelta]) -> dict[int, list[tuple[int, float | None]]]:
    """(count, sum) of each readable datastream's numeric observations in each window (end − w, end], by datastream
    id, in the order of `windows`; one GROUP BY over the longest window. Datastreams the actor may not read are
    left out."""
    spans = list(windows)
    ids = _readable_ids(db, actor, datastream_ids)
    if not ids or not spans:
        return {}
    end = clock.aware(end).astimezone(UTC)
    t, value = Observation.phenomenon_time, Observation.result_number
    columns = []
    for w in spans:
        inside = t > end - w
        columns += [func.count(case((inside, value))), func.sum(case((inside, value)))]
    rows = db.execute(select(Observation.datastream_id, *columns)
                      .where(Observation.datastream_id.in_(ids), value.is_not(None), t > end - max(spans), t <= end)
                      .group_by(Observation.datastream_id))
    out = {i: [(0, None)] * len(spans) for i in ids}
    for ds, *cells in rows:
        out[ds] = [(int(cells[2 * k] or 0), cells[2 * k + 1]) for k in range(len(spans))]
    return out


def recent(db: Session, *, actor: Actor, datastream_ids: list[int], start: datetime, end: datetime,
           limit: int = MAX_RECENT) -> dict[int, list[tuple[datetime, float]]]:
    """Each readable datastream's numeric observations in (start, end], oldest first, at most `limit` (the newest),
    as (UTC time, value); datastreams the actor may not read are left out."""
    ids = _readable_ids(db, actor, datastream_ids)
    start, end = clock.aware(start).astimezone(UTC), clock.aware(end).astimezone(UTC)
    out: dict[int, list[tuple[datetime, float]]] = {}
    for ds in ids:
        rows = db.execute(select(Observation.phenomenon_time, Observation.result_number)
                          .where(Observation.datastream_id == ds, Observation.result_number.is_not(None),
                                 Observation.phenomenon_time > start, Observation.phenomenon_time <= end)
                          .order_by(Observation.phenomenon_time.desc()).limit(limit))
        out[ds] = [(clock.aware(at), value) for at, value in reversed(rows.all())]
    return out
