"""Benchmark of the lake's history query: one year of hourly data of 12 stations × 6 pollutants (630,720
observations) stored in a fresh SQLite instance, exported to Parquet by `iot.lake.export` and compacted, then the
daily means of all 72 datastreams through `iot.history.series` (lake + hot store, visibility rule included) against
a raw DuckDB scan of the same Parquet files computing the same daily means. Best of ZHICHENG_BENCH_REPEAT (5) runs.

Run: `zhicheng bench iot_lake` or `python bench/bench_iot_lake.py`; the last line is the BENCH line.
"""

from __future__ import annotations

import os
import resource
import secrets
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

STATIONS, POLLUTANTS = 12, ("pm25", "pm10", "so2", "no2", "o3", "co")
START = datetime(2025, 1, 1, tzinfo=UTC)
HOURS = 365 * 24
REPEAT = int(os.environ.get("ZHICHENG_BENCH_REPEAT", "5"))


def peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(folder: Path):
    """A migrated instance with 12 open stations of 6 datastreams and a year of hourly values of each."""
    from sqlalchemy import insert

    from zhicheng.accounts import service as accounts
    from zhicheng.core.actor import SYSTEM
    from zhicheng.core.db import make_engine, make_sessionmaker, migrate
    from zhicheng.iot.models import Datastream, Observation, ObservedProperty, Sensor, Thing

    engine = make_engine(f"sqlite:///{folder / 'zhicheng.db'}")
    migrate(engine)
    factory = make_sessionmaker(engine)
    now = datetime.now(UTC)
    with factory() as db:
        dept = accounts.create_department(db, actor=SYSTEM, name="长沙市生态环境局", kind="bureau",
                                          region_code="430100")
        sensor = Sensor(name="空气自动监测仪")
        props = [ObservedProperty(name=p, definition=f"urn:bench:{p}") for p in POLLUTANTS]
        db.add_all([sensor, *props])
        db.flush()
        ids = []
        for s in range(STATIONS):
            thing = Thing(code=f"AIR-{s:03d}", name=f"空气站 {s}", department_id=dept.id, device_type="air_station",
                          open=True, token_hash=secrets.token_hex(32), token_rotated_at=now, created_at=now)
            db.add(thing)
            db.flush()
            for p, prop in zip(POLLUTANTS, props, strict=True):
                ds = Datastream(thing_id=thing.id, sensor_id=sensor.id, observed_property_id=prop.id, key=p, name=p,
                                unit_of_measurement={"name": "ug/m3", "symbol": "μg/m³", "definition": "ucum:ug/m3"},
                                observation_type="OM_Measurement", sampling_interval=3600)
                db.add(ds)
                db.flush()
                ids.append(ds.id)
        db.commit()
        batch: list[dict] = []
        for h in range(HOURS):
            at = START + timedelta(hours=h)
            for n, ds in enumerate(ids):
                batch.append({"datastream_id": ds, "phenomenon_time": at, "result_number": float((h * 7 + n) % 300)})
            if len(batch) >= 50_000:
                db.execute(insert(Observation), batch)
                batch.clear()
        if batch:
            db.execute(insert(Observation), batch)
        db.commit()
    return engine, factory, ids


def main() -> None:
    from zhicheng.core.actor import ANONYMOUS
    from zhicheng.core.settings import Settings
    from zhicheng.iot import history, lake

    with tempfile.TemporaryDirectory(prefix="zhicheng-bench-lake-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        engine, factory, ids = build(folder)
        rows = HOURS * len(ids)
        print(f"stored {rows} observations in {time.perf_counter() - started:.1f}s", flush=True)
        where = lake.open_lake(Settings(data=folder))
        with factory() as db:
            started = time.perf_counter()
            done = lake.export(db, where)
            exported = time.perf_counter() - started
            merged = lake.compact(db, where)
            print(f"exported {done.rows} rows to {done.files} files in {exported:.1f}s "
                  f"({done.rows / exported:,.0f} rows/s); compacted {merged} partitions", flush=True)
            end = START + timedelta(hours=HOURS)
            span = history.Span("day", "mean", START - timedelta(hours=8), end)  # Beijing days of the year
            best_history = float("inf")
            for _ in range(REPEAT):
                started = time.perf_counter()
                streams = history.series(db, where, actor=ANONYMOUS, datastream_ids=ids, span=span)
                best_history = min(best_history, time.perf_counter() - started)
            buckets = sum(len(s["values"]) for s in streams)

        import duckdb

        files = where.path(f"{lake.TABLE}/*/*/*.parquet")
        best_raw = float("inf")
        for _ in range(REPEAT):
            started = time.perf_counter()
            with duckdb.connect() as con:
                raw = con.execute(
                    "SELECT datastream_id, date_trunc('day', timezone('UTC', phenomenon_time) + INTERVAL 8 HOUR), "
                    "avg(result_number) FROM read_parquet(?, hive_partitioning = true) GROUP BY ALL",
                    [files]).fetchall()
            best_raw = min(best_raw, time.perf_counter() - started)
        assert len(raw) == buckets, (len(raw), buckets)
        engine.dispose()
    x, y = rows / best_history, rows / best_raw
    print(f"history: {buckets} daily means in {best_history * 1000:.0f} ms; raw DuckDB: {best_raw * 1000:.0f} ms")
    print(f"BENCH iot_lake daily_means_per_s={x:.0f} duckdb_raw_per_s={y:.0f} ratio={x / y:.2f} "
          f"peak_mb={peak_mb():.0f}")


if __name__ == "__main__":
    main()
