"""One query over the hot store and the lake: aggregates by hour, day or month of Beijing time and raw observations
page by page, for any span; the lake's files (ids up to the watermark) read with DuckDB, the newer rows from the
database, through the same visibility rule as every iot read."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import and_, func, literal_column, select
from sqlalchemy.orm import Session

from zhicheng.core import clock
from zhicheng.core.actor import Actor
from zhicheng.core.db import MAX_ID
from zhicheng.core.errors import NotFound
from zhicheng.iot import rollups
from zhicheng.iot.access import readable_things
from zhicheng.iot.lake import BEIJING, Lake, beijing_day
from zhicheng.iot.models import Datastream, LakePart, LakeState, Observation, Thing
from zhicheng.iot.rollups import FUNCTIONS, MAX_BUCKETS, BadParameter

INTERVALS = ("hour", "day", "month")
DEFAULT_SPANS = {"hour": timedelta(days=7), "day": timedelta(days=30), "month": timedelta(days=365)}
MAX_PAGE = 10_000  # history_api.MAX_PAGE says it again so as not to load this module at start-up
HOUR = timedelta(hours=1)


def _beijing_floor(interval: str, at: datetime) -> datetime:
    """The naive Beijing start of the bucket holding `at` (aware, or naive Beijing)."""
    local = at.astimezone(BEIJING).replace(tzinfo=None) if at.tzinfo else at
    if interval == "hour":
        return local.replace(minute=0, second=0, microsecond=0)
    if interval == "day":
        return local.replace(hour=0, minute=0, second=0, microsecond=0)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class Span:
    """What is asked: an interval, a function and the buckets overlapping [start, end) (UTC, aware)."""

    interval: str
    function: str
    start: datetime
    end: datetime

    def buckets(self) -> int:
        if self.interval == "month":
            a, b = self.start.astimezone(BEIJING), self.end.astimezone(BEIJING)
            return (b.year - a.year) * 12 + b.month - a.month + 1
        step = HOUR if self.interval == "hour" else timedelta(days=1)
        return math.ceil((self.end - self.start) / step)


def instant(value: str, field: str) -> datetime:
    """An ISO 8601 instant or date (no offset: Beijing time) as aware UTC; 400 naming the field."""
    return rollups._instant(value, field)  # noqa: SLF001 - one reading of times for every iot query


def parse_span(*, interval: str, function: str, start: str | None, end: str | None, datastreams: int = 1) -> Span:
    """The Span of the request's parameters; 400 naming the parameter at fault."""
    if interval not in INTERVALS:
        raise BadParameter("interval 须为 hour、day 或 month", "interval must be hour, day or month", field="interval")
    if function not in FUNCTIONS:
        raise BadParameter(f"function 须为 {'、'.join(FUNCTIONS)} 之一", f"function must be one of {', '.join(FUNCTIONS)}",
                           field="function")
    upto = clock.now().astimezone(UTC) if end is None else instant(end, "to")
    try:
        since = upto - DEFAULT_SPANS[interval] if start is None else instant(start, "from")
        first = _beijing_floor(interval, since).replace(tzinfo=BEIJING).astimezone(UTC)
    except (OverflowError, ValueError):
        raise BadParameter("from 超出范围", "from out of range", field="from") from None
    if since >= upto:
        raise BadParameter("from 须早于 to", "from must be before to", field="from")
    span = Span(interval, function, first, upto)
    if span.buckets() * datastreams > MAX_BUCKETS:
        raise BadParameter(f"一次最多 {MAX_BUCKETS} 个时段（数据流数 × 时段数），请缩短时间范围或加大时段",
                           f"at most {MAX_BUCKETS} buckets a request (datastreams × buckets): shorten the range "
                           "or use a longer interval", field="from")
    return span


def readable_streams(db: Session, actor: Actor, ids: list[int], field: str) -> dict[int, tuple[Datastream, str]]:
    """Each datastream with its thing's device type; one the actor may not read is 404 as if it did not exist."""
    found = {d.id: (d, t) for d, t in db.execute(
        select(Datastream, Thing.device_type).join(Thing, Thing.id == Datastream.thing_id)
        .where(Datastream.id.in_([i for i in ids if 0 < i <= MAX_ID]), readable_things(actor)))}
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(f"数据流 {missing[0]} 不存在", f"datastream {missing[0]} not found", field=field)
    return found


def lake_files(db: Session, lake: Lake, device_types: set[str], start: datetime, end: datetime
               ) -> tuple[int, list[str]]:
    """The watermark and the files of the partitions the span touches, read in one statement (one snapshot: a
    concurrent export never makes a row appear twice or not at all)."""
    days = (beijing_day(start), beijing_day(end))
    rows = db.execute(
        select(LakeState.value, LakePart.path)
        .select_from(LakeState)
        .outerjoin(LakePart, and_(LakePart.device_type.in_(sorted(device_types)), LakePart.day >= days[0],
                                  LakePart.day <= days[1]))
        .where(LakeState.name == "watermark")).all()
    if not rows:
        return 0, []
    return rows[0][0], [lake.url(path) for _mark, path in rows if path is not None]


def _connect(lake: Lake) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    if not lake.local:  # s3:// gs:// …: DuckDB's httpfs, credentials from the usual chain (docs/iot/lake.md)
        con.execute("INSTALL httpfs; LOAD httpfs")
        con.execute("CREATE OR REPLACE SECRET lake (TYPE s3, PROVIDER credential_chain)")
    return con


def _retrying(read):
    """Run `read` again once if a file vanished under it (compaction or retention between listing and reading)."""
    try:
        return read()
    except duckdb.IOException:
        return read()


HOT_SCHEMA = pa.schema([("ds", pa.int64()), ("h", pa.timestamp("us")), ("c", pa.int64()), ("lo", pa.float64()),
                        ("hi", pa.float64()), ("s", pa.float64())])
# the lake's partial aggregates and the hot store's (ids above the watermark), combined per bucket. The lake side
# needs no `id <= watermark`: a file is listed in the same commit that moves the watermark past its ids, and the
# files and the watermark are read in one statement (`lake_files`)
LAKE_AND_HOT = (
    "WITH parts AS ("
    "SELECT datastream_id AS ds, date_trunc(?, timezone('UTC', phenomenon_time) + INTERVAL 8 HOUR) AS b, "
    "count(result_number) AS c, min(result_number) AS lo, max(result_number) AS hi, sum(result_number) AS s "
    "FROM read_parquet(?, hive_partitioning = true) "
    "WHERE datastream_id IN (SELECT unnest(?)) AND phenomenon_time >= ? AND phenomenon_time < ? "
    "AND result_number IS NOT NULL GROUP BY ALL "
    "UNION ALL SELECT ds, date_trunc(?, h) AS b, c, lo, hi, s FROM hot) "
    "SELECT ds, b, sum(c)::BIGINT, min(lo), max(hi), sum(s) FROM parts GROUP BY ds, b ORDER BY ds, b")
# what each function needs of the lake (the others left out: DuckDB then neither reads nor folds them)
_SUM_ONLY = LAKE_AND_HOT.replace("min(result_number)", "NULL::DOUBLE").replace("max(result_number)", "NULL::DOUBLE")
LAKE_QUERIES = {"mean": _SUM_ONLY, "sum": _SUM_ONLY, "count": _SUM_ONLY,
                "min": LAKE_AND_HOT.replace("max(result_number)", "NULL::DOUBLE"),
                "max": LAKE_AND_HOT.replace("min(result_number)", "NULL::DOUBLE")}
HOT_ONLY = ("WITH parts AS (SELECT ds, date_trunc(?, h) AS b, c, lo, hi, s FROM hot) "
            "SELECT ds, b, sum(c)::BIGINT, min(lo), max(hi), sum(s) FROM parts GROUP BY ds, b ORDER BY ds, b")


def _beijing_hour(at: datetime | str) -> datetime:
    """The naive Beijing start of a database hour bucket (SQLite: UTC text; PostgreSQL: a timestamp)."""
    at = datetime.fromisoformat(at) if isinstance(at, str) else at
    return clock.aware(at).astimezone(UTC).replace(tzinfo=None) + timedelta(hours=8)


def _value(function: str, count: int, low: float, high: float, total: float) -> float | int:
    if function == "mean":
        return total / count
    return {"min": low, "max": high, "sum": total, "count": count}[function]


def series(db: Session, lake: Lake, *, actor: Actor, datastream_ids: list[int], span: Span,
           field: str = "datastreams") -> list[dict[str, Any]]:
    """Each datastream with its [time (Beijing), value] per bucket of `span`: the answer of `rollups.series`, over
    the lake and the hot store, by hour, day or month."""
    streams = readable_streams(db, actor, datastream_ids, field)

    def read() -> list[tuple]:
        mark, files = lake_files(db, lake, {t for _d, t in streams.values()}, span.start, span.end)
        # newer than the watermark: per hour in the database (hours of UTC are hours of Beijing time); `+ 0` keeps
        # the planner on the id range (the few recent rows) rather than on a scan of each stream's index
        stream_id = Observation.datastream_id + literal_column("0")
        hour = rollups.INTERVALS["hour"].bucket_sql(db.get_bind().dialect.name)
        value = Observation.result_number
        hot = db.execute(select(stream_id, hour, func.count(value), func.min(value), func.max(value), func.sum(value))
                         .where(stream_id.in_(datastream_ids), Observation.id > mark,
                                Observation.phenomenon_time >= span.start, Observation.phenomenon_time < span.end,
                                value.is_not(None))
                         .group_by(stream_id, hour)).all()
        hot_table = pa.table({"ds": [r[0] for r in hot], "h": [_beijing_hour(r[1]) for r in hot],
                              "c": [r[2] for r in hot], "lo": [r[3] for r in hot], "hi": [r[4] for r in hot],
                              "s": [r[5] for r in hot]}, schema=HOT_SCHEMA)
        with _connect(lake) as con:
            con.register("hot", hot_table)
            if files:
                return con.execute(LAKE_QUERIES[span.function], [span.interval, files, datastream_ids, span.start,
                                                                 span.end, span.interval]).fetchall()
            return con.execute(HOT_ONLY, [span.interval]).fetchall()

    values: dict[int, list[list[Any]]] = {i: [] for i in datastream_ids}
    for ds, bucket, count, low, high, total in _retrying(read):
        # a naive Beijing bucket start tagged as Beijing time (no summer time since 1991: the same as astimezone)
        values[ds].append([bucket.replace(tzinfo=clock.LOCAL_TZ), _value(span.function, count, low, high, total)])
    return [{"id": i, "name": streams[i][0].name, "thing_id": streams[i][0].thing_id,
             "unit_of_measurement": streams[i][0].unit_of_measurement, "values": values[i]} for i in datastream_ids]


def _result(number: float | None, text_: str | None, json_: Any) -> Any:
    if number is not None:
        return number
    return text_ if text_ is not None else json_


def observations(db: Session, lake: Lake, *, actor: Actor, datastream_id: int, start: datetime, end: datetime,
                 after: datetime | None = None, limit: int = 1000) -> dict[str, Any]:
    """One page of a datastream's observations in [start, end) after the cursor `after`, in time order, from the
    lake and the hot store; `next` is the cursor of the following page (None at the end)."""
    import json

    stream, device_type = readable_streams(db, actor, [datastream_id], "datastream")[datastream_id]
    lower = max(start, after) if after else start

    def read() -> list[tuple[datetime, Any, str | None]]:
        mark, files = lake_files(db, lake, {device_type}, lower, end)
        rows: list[tuple[datetime, Any, str | None]] = []
        if files:
            with _connect(lake) as con:
                got = con.execute(
                    "SELECT phenomenon_time, result_number, result_text, result_json, result_quality "
                    "FROM read_parquet(?, hive_partitioning = true) WHERE datastream_id = ? AND id <= ? "
                    "AND (phenomenon_time > ? OR (? AND phenomenon_time = ?)) AND phenomenon_time < ? "
                    "ORDER BY phenomenon_time LIMIT ?",
                    [files, datastream_id, mark, lower, after is None, lower, end, limit + 1]).fetchall()
            rows += [(clock.aware(t), _result(n, s, None if j is None else json.loads(j)), q) for t, n, s, j, q in got]
        t = Observation.phenomenon_time
        hot = db.execute(select(t, Observation.result_number, Observation.result_text, Observation.result_json,
                                Observation.result_quality)
                         .where(Observation.datastream_id == datastream_id, Observation.id > mark,
                                t > lower if after else t >= lower, t < end)
                         .order_by(t).limit(limit + 1))
        rows += [(clock.aware(at), _result(n, s, j), q) for at, n, s, j, q in hot]
        return sorted(rows, key=lambda r: r[0])[:limit + 1]

    rows = _retrying(read)
    page, more = rows[:limit], len(rows) > limit
    return {"datastream": {"id": stream.id, "name": stream.name, "thing_id": stream.thing_id,
                           "unit_of_measurement": stream.unit_of_measurement},
            "values": [[clock.local(at), value, quality] for at, value, quality in page],
            "next": clock.local(page[-1][0]).isoformat() if more and page else None}
