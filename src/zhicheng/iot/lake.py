"""The IoT data lake: observations exported from the hot store to Parquet (hive layout `device_type=…/date=…`),
incrementally behind an id watermark, compacted, kept per device type, and the hot store pruned behind it.

Every observation with id ≤ the watermark is in exactly one file listed in `iot_lake_parts`; history (iot/history.py)
reads those files for ids ≤ the watermark and the hot store for the rest. A file is written under a hidden temporary
name and renamed when complete, and listed in the same transaction that moves the watermark: a crash leaves at most
an unlisted file, which the next run deletes before it writes. One process writes at a time (a lease row)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from zhicheng.core import clock
from zhicheng.core.db import dialect_insert
from zhicheng.core.errors import Invalid
from zhicheng.core.settings import Settings
from zhicheng.iot.models import Datastream, LakePart, LakeState, Observation, Thing

BEIJING = timezone(timedelta(hours=8))
TABLE = "observations"  # the lake's one table, under the lake root
CHUNK = 50_000  # observations read from the hot store at a time
COMMIT_EVERY = 10  # chunks between two commits of the watermark (bounds the work a crash redoes)
MAX_OPEN_WRITERS = 64  # partitions written at once; past it the oldest file is finished
LEASE_SECONDS = 900
PRUNE_BATCH = 10_000
DEFAULT_HOT_DAYS, DEFAULT_RETENTION_DAYS = 90, 3650  # for a device type no plugin brings any more
SCHEMA = pa.schema([
    ("id", pa.int64()),
    ("datastream_id", pa.int64()),
    ("thing_id", pa.int64()),
    ("phenomenon_time", pa.timestamp("us", tz="UTC")),
    ("result_time", pa.timestamp("us", tz="UTC")),
    ("result_number", pa.float64()),
    ("result_text", pa.string()),
    ("result_json", pa.string()),  # the JSON text of a non-scalar result
    ("result_quality", pa.string()),
])
Progress = Callable[[int], None]  # called with the number of rows (or partitions) just done


@dataclass(frozen=True)
class Lake:
    """Where the lake lies: a pyarrow filesystem and the root path inside it, and how DuckDB names its files."""

    fs: pafs.FileSystem
    root: str
    base_url: str  # prefix of a file's name for DuckDB: the local root, or s3://bucket/prefix

    @property
    def local(self) -> bool:
        return isinstance(self.fs, pafs.LocalFileSystem)

    def path(self, relative: str) -> str:
        return f"{self.root}/{relative}"

    def url(self, relative: str) -> str:
        return f"{self.base_url}/{relative}"


def open_lake(settings: Settings) -> Lake:
    """The lake of `settings.lake_url` (a folder, file://, s3://, gs://, hdfs://…) or <data>/lake, created."""
    url = settings.lake_url or str((settings.data / "lake").resolve())
    try:
        if "://" in url:
            fs, root = pafs.FileSystem.from_uri(url)
            base = str(Path(root).resolve()) if isinstance(fs, pafs.LocalFileSystem) else url.rstrip("/")
            root = base if isinstance(fs, pafs.LocalFileSystem) else root.rstrip("/")
        else:
            fs, root = pafs.LocalFileSystem(), str(Path(url).resolve())
            base = root
        fs.create_dir(f"{root}/{TABLE}", recursive=True)
    except (pa.ArrowException, OSError) as exc:
        raise Invalid(f"数据湖位置 {url} 不可用：{exc}", f"the lake {url} cannot be used: {exc}",
                      code="bad_lake_url", field="lake_url") from None
    return Lake(fs, root, base)


def partition_dir(device_type: str, day: str) -> str:
    """The relative folder of a partition (hive layout: Spark, DuckDB and pyarrow read the keys from it)."""
    return f"{TABLE}/device_type={device_type}/date={day}"


def beijing_day(at: datetime) -> str:
    """The Beijing date (YYYY-MM-DD) of an instant (naive: UTC, as SQLite gives it back)."""
    if at.tzinfo is None:
        return (at + timedelta(hours=8)).date().isoformat()
    return at.astimezone(BEIJING).date().isoformat()


# -- state: watermark and lease --------------------------------------------------------------------------------------


def _state(db: Session, name: str) -> int:
    return db.scalar(select(LakeState.value).where(LakeState.name == name)) or 0


def _set_state(db: Session, name: str, value: int) -> None:
    stmt = dialect_insert(db)(LakeState).values(name=name, value=value)
    db.execute(stmt.on_conflict_do_update(index_elements=["name"], set_={"value": value}))


def watermark(db: Session) -> int:
    """Every observation with an id up to this is in the lake."""
    return _state(db, "watermark")


class Busy(RuntimeError):
    """Another process holds the lake's lease."""


@contextmanager
def leased(db: Session, seconds: int = LEASE_SECONDS) -> Iterator[None]:
    """Hold the right to write the lake (one process at a time, across workers and machines); Busy if held."""
    db.execute(dialect_insert(db)(LakeState).values(name="lease_until", value=0).on_conflict_do_nothing())
    now = int(time.time())
    claimed = db.execute(update(LakeState).where(LakeState.name == "lease_until", LakeState.value < now)
                         .values(value=now + seconds)).rowcount
    db.commit()
    if claimed != 1:
        raise Busy("湖正被另一进程写入 / the lake is being written by another process")
    try:
        yield
    finally:
        db.rollback()
        db.execute(update(LakeState).where(LakeState.name == "lease_until").values(value=0))
        db.commit()


def _renew(db: Session) -> None:
    db.execute(update(LakeState).where(LakeState.name == "lease_until")
               .values(value=int(time.time()) + LEASE_SECONDS))


def _settled_max_id(db: Session) -> int:
    """The highest observation id below which no insert is still in flight. PostgreSQL hands out ids before commit,
    so a SHARE lock first waits for the writers holding ids (briefly: it also holds new ones back while it waits).
    SQLite has one writer and rows become visible in id order."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SET LOCAL lock_timeout = '30s'"))
        db.execute(text("LOCK TABLE iot_observations IN SHARE MODE"))
    top = db.scalar(select(func.max(Observation.id))) or 0
    db.commit()
    return top


# -- writing files ---------------------------------------------------------------------------------------------------

@dataclass
class _PartWriter:
    """One new file of one partition: written under a hidden .tmp name, renamed into place when finished."""

    lake: Lake
    device_type: str
    day: str
    name: str = field(default_factory=lambda: f"part-{uuid.uuid4().hex[:16]}.parquet")
    rows: int = 0
    min_id: int = 0
    max_id: int = 0
    writer: pq.ParquetWriter | None = None

    @property
    def relative(self) -> str:
        return f"{partition_dir(self.device_type, self.day)}/{self.name}"

    @property
    def temporary(self) -> str:
        return self.lake.path(f"{partition_dir(self.device_type, self.day)}/.{self.name}.tmp")

    def write(self, table: pa.Table | pa.RecordBatch, min_id: int, max_id: int) -> None:
        if self.writer is None:
            self.lake.fs.create_dir(self.lake.path(partition_dir(self.device_type, self.day)), recursive=True)
            self.writer = pq.ParquetWriter(self.temporary, SCHEMA, filesystem=self.lake.fs, compression="zstd")
            self.min_id = min_id
        if isinstance(table, pa.RecordBatch):
            table = pa.Table.from_batches([table])
        self.writer.write_table(table)
        self.rows += table.num_rows
        self.min_id, self.max_id = min(self.min_id, min_id), max(self.max_id, max_id)

    def finish(self) -> LakePart:
        """Close, rename into place; the manifest row to add (not yet added)."""
        assert self.writer is not None
        self.writer.close()
        final = self.lake.path(self.relative)
        self.lake.fs.move(self.temporary, final)
        size = self.lake.fs.get_file_info(final).size or 0
        return LakePart(device_type=self.device_type, day=self.day, path=self.relative, rows=self.rows,
                        min_id=self.min_id, max_id=self.max_id, bytes=size, created_at=clock.now())


def _table(rows: list[Any]) -> pa.Table:
    """The rows (id, datastream_id, thing_id, phenomenon_time, result_time, result_number, result_text, result_json,
    result_quality, …) as an Arrow table; a naive time (SQLite) is UTC, as pyarrow takes it."""
    cols = list(zip(*rows, strict=False))
    return pa.table({
        "id": cols[0], "datastream_id": cols[1], "thing_id": cols[2], "phenomenon_time": cols[3],
        "result_time": cols[4], "result_number": cols[5], "result_text": cols[6],
        "result_json": [None if v is None else json.dumps(v, ensure_ascii=False) for v in cols[7]],
        "result_quality": cols[8],
    }, schema=SCHEMA)


def listed_paths(db: Session) -> set[str]:
    return set(db.scalars(select(LakePart.path)))


def remove_orphans(db: Session, lake: Lake) -> int:
    """Delete what a crashed run left: temporary files and files the manifest does not list. Under the lease."""
    listed = listed_paths(db)
    removed = 0
    prefix = lake.root + "/"
    for info in lake.fs.get_file_info(pafs.FileSelector(lake.path(TABLE), recursive=True, allow_not_found=True)):
        if info.type != pafs.FileType.File:
            continue
        relative = info.path.removeprefix(prefix)
        if info.base_name.endswith(".tmp") or (info.base_name.endswith(".parquet") and relative not in listed):
            lake.fs.delete_file(info.path)
            removed += 1
    return removed


# -- the four jobs ---------------------------------------------------------------------------------------------------

@dataclass
class ExportResult:
    rows: int = 0
    files: int = 0
    watermark: int = 0
    orphans_removed: int = 0


def pending(db: Session) -> int:
    """Observations not yet in the lake."""
    return db.scalar(select(func.count()).select_from(Observation).where(Observation.id > watermark(db))) or 0


def export(db: Session, lake: Lake, *, chunk: int = CHUNK, progress: Progress | None = None) -> ExportResult:
    """Write every observation above the watermark to the lake (one new file per partition touched: late data for
    an exported day becomes an extra part that `compact` merges) and move the watermark; Busy if another process
    holds the lease. Rerun, it writes nothing twice."""
    result = ExportResult()
    with leased(db):
        result.orphans_removed = remove_orphans(db, lake)
        after = watermark(db)
        top = _settled_max_id(db)
        writers: dict[tuple[str, str], _PartWriter] = {}

        def flush(upto: int) -> None:
            for writer in writers.values():
                db.add(writer.finish())
                result.files += 1
            writers.clear()
            _set_state(db, "watermark", upto)
            _renew(db)
            db.commit()

        chunks = 0
        while after < top:
            rows = db.execute(
                select(Observation.id, Observation.datastream_id, Datastream.thing_id, Observation.phenomenon_time,
                       Observation.result_time, Observation.result_number, Observation.result_text,
                       Observation.result_json, Observation.result_quality, Thing.device_type)
                .join(Datastream, Datastream.id == Observation.datastream_id)
                .join(Thing, Thing.id == Datastream.thing_id)
                .where(Observation.id > after, Observation.id <= top)
                .order_by(Observation.id).limit(chunk)).all()
            if not rows:
                break
            groups: dict[tuple[str, str], list[Any]] = {}
            for row in rows:
                groups.setdefault((row.device_type, beijing_day(row.phenomenon_time)), []).append(row)
            for key, members in groups.items():
                if key not in writers and len(writers) >= MAX_OPEN_WRITERS:
                    oldest = next(iter(writers))
                    db.add(writers.pop(oldest).finish())
                    result.files += 1
                writer = writers.setdefault(key, _PartWriter(lake, *key))
                writer.write(_table(members), members[0].id, members[-1].id)
            after = rows[-1].id
            result.rows += len(rows)
            if progress:
                progress(len(rows))
            chunks += 1
            if chunks % COMMIT_EVERY == 0:
                flush(after)
        flush(max(after, top))
        result.watermark = max(after, top, watermark(db))
    return result


def compact(db: Session, lake: Lake, *, progress: Progress | None = None) -> int:
    """Merge the part files of each partition that has several into one (streamed batch by batch); the number of
    partitions merged."""
    merged = 0
    with leased(db):
        remove_orphans(db, lake)
        several = db.execute(select(LakePart.device_type, LakePart.day).group_by(LakePart.device_type, LakePart.day)
                             .having(func.count() > 1).order_by(LakePart.device_type, LakePart.day)).all()
        for device_type, day in several:
            parts = list(db.scalars(select(LakePart).where(LakePart.device_type == device_type, LakePart.day == day)
                                    .order_by(LakePart.min_id)))
            writer = _PartWriter(lake, device_type, day)
            for part in parts:
                source = pq.ParquetFile(lake.path(part.path), filesystem=lake.fs)
                for batch in source.iter_batches(batch_size=65_536):
                    writer.write(batch, part.min_id, part.max_id)
            new = writer.finish()
            old = [p.path for p in parts]
            for part in parts:
                db.delete(part)
            db.add(new)
            _renew(db)
            db.commit()
            for path in old:  # a crash here leaves unlisted files: the next run removes them
                lake.fs.delete_file(lake.path(path))
            merged += 1
            if progress:
                progress(1)
    return merged


def _types() -> dict[str, Any]:
    from zhicheng.iot import device_types

    return device_types.device_types()


def retention_days(device_type: Any) -> int:
    """Days a device type's partitions are kept: the longest of the type's and its datastreams' (a partition holds
    them all)."""
    return max([device_type.retention_days] + [d.retention_days for d in device_type.datastreams if d.retention_days])


def apply_retention(db: Session, lake: Lake, *, today: date | None = None, types: dict | None = None) -> int:
    """Delete the partitions older than their device type's retention; the number of files deleted."""
    today = today or clock.now().astimezone(BEIJING).date()
    types = _types() if types is None else types
    deleted = 0
    with leased(db):
        for device_type in db.scalars(select(LakePart.device_type).distinct()).all():
            known = types.get(device_type)
            days = retention_days(known) if known else DEFAULT_RETENTION_DAYS
            cutoff = (today - timedelta(days=days)).isoformat()
            parts = list(db.scalars(select(LakePart).where(LakePart.device_type == device_type,
                                                           LakePart.day < cutoff)))
            if not parts:
                continue
            for part in parts:
                db.delete(part)
            db.commit()
            for part in parts:
                lake.fs.delete_file(lake.path(part.path))
                folder = lake.path(partition_dir(part.device_type, part.day))
                if not lake.fs.get_file_info(pafs.FileSelector(folder, allow_not_found=True)):
                    lake.fs.delete_dir(folder)
            deleted += len(parts)
    return deleted


def prune_hot(db: Session, *, now: datetime | None = None, types: dict | None = None) -> int:
    """Delete from the hot store the observations older than their datastream's hot window that are already in the
    lake (never the newest row: SQLite would hand its id out again); the number deleted. The rollups stay."""
    now = clock.aware(now) if now else clock.now()
    types = _types() if types is None else types
    mark = watermark(db)
    newest = db.scalar(select(func.max(Observation.id))) or 0
    pairs = db.execute(select(Thing.device_type, Datastream.key).join(Thing, Thing.id == Datastream.thing_id)
                       .distinct()).all()
    deleted = 0
    for device_type, key in pairs:
        known = types.get(device_type)
        template = next((d for d in known.datastreams if d.name == key), None) if known else None
        days = (template.hot_days if template and template.hot_days else
                known.hot_days if known else DEFAULT_HOT_DAYS)
        streams = (select(Datastream.id).join(Thing, Thing.id == Datastream.thing_id)
                   .where(Thing.device_type == device_type, Datastream.key == key))
        while True:
            ids = list(db.scalars(select(Observation.id).where(
                Observation.datastream_id.in_(streams), Observation.phenomenon_time < now - timedelta(days=days),
                Observation.id <= mark, Observation.id < newest).limit(PRUNE_BATCH)))
            if not ids:
                break
            db.execute(delete(Observation).where(Observation.id.in_(ids)))
            db.commit()
            deleted += len(ids)
    return deleted


def status(db: Session, lake: Lake) -> dict[str, Any]:
    """The lake at a glance: where, watermark, observations pending, and per device type its files, rows, bytes and
    first and last day."""
    by_type = [{"device_type": t, "files": n, "partitions": p, "rows": int(r or 0), "bytes": int(b or 0),  # PG: Decimal
                "first_day": lo, "last_day": hi}
               for t, n, p, r, b, lo, hi in db.execute(
                   select(LakePart.device_type, func.count(), func.count(LakePart.day.distinct()), func.sum(LakePart.rows),
                          func.sum(LakePart.bytes), func.min(LakePart.day), func.max(LakePart.day))
                   .group_by(LakePart.device_type).order_by(LakePart.device_type))]
    return {"lake": lake.base_url, "watermark": watermark(db), "pending": pending(db),
            "newest_id": db.scalar(select(func.max(Observation.id))) or 0, "device_types": by_type}


def run_pass(db: Session, lake: Lake, *, prune: bool = False) -> dict[str, int]:
    """What the server does periodically: export and compact; with `prune` also retention and the hot store's
    pruning (deleting data stays an operator's decision: `zhicheng iot lake prune` from cron, docs/iot/lake.md)."""
    done = {"exported": export(db, lake).rows, "compacted": compact(db, lake)}
    if prune:
        done |= {"expired": apply_retention(db, lake), "pruned": prune_hot(db)}
    return done
