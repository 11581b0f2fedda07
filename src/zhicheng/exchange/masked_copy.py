"""Materialised masked copies (物化脱敏副本): a dataset version is immutable, so the JSON object of each of its
rows with every personal or graded item masked can be written once and served page after page.

A copy is the table `ds_<resource>_v<version>_m<sig>` of chunks of CHUNK consecutive rows: `last_row` (the version
table's key `_row` of the chunk's last row), `row_keys` (every row's `_row`, packed), `row_ends` (where each
row's JSON ends in `j`, packed) and `j` (the rows' JSON objects joined by commas, each byte for byte what
`fastread.page_bytes` writes for it). A page of 1,000 rows is then a dozen chunks sliced and joined, about a tenth
of the cost of reading 1,000 rows one by one. `<sig>` is a short hash of the version (id, table, import time),
its columns, the masked items with their kinds and the version of the masking rules in force
(`policy.masking.Rules.version`): when an admin edits a rule, the signature of the next call differs, that call
takes the normal path (no stale mask can leave) and the copy is built again. Only the all-items, all-masked variant is kept (a grant of every item,
no plain item, no row filter, no `fields`, filters or sort, JSON); anything else reads the version table.

A copy is filled in batches (bounded memory, a commit per batch so that other writers are not held up) under
the name `..._b` and renamed when complete, so a copy that exists is whole. It is built when a version is
imported and a qualifying grant exists (`on_imported`), or at the first qualifying call (in the caller's
thread for a small version, else in a background thread; the call itself takes the normal path meanwhile).
Building a copy drops the older ones of the resource.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from array import array
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from decimal import Decimal
from functools import lru_cache
from itertools import repeat
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from zhicheng.catalog.datasets import fastread
from zhicheng.policy.masking import Rules

log = logging.getLogger(__name__)
NAME = re.compile(r"^ds_[0-9]{1,12}_v[0-9]{1,9}_[mo][0-9a-f]{12}$")
BATCH = 2000  # rows read from the version table at a time while building (a multiple of CHUNK)
CHUNK = 100  # rows a chunk holds
LAYOUT = "chunks-1"  # part of every copy's signature: a copy of another layout is never read, only replaced
SYNC_ROWS = 5000  # a version this small is copied in the calling thread, larger ones in the background
_ready: set[tuple[str, str]] = set()  # (database, copy) this process has seen complete
_building: set[str] = set()
_failed: dict[str, float] = {}  # copy → when its build last failed: not retried before RETRY_AFTER seconds
RETRY_AFTER = 600.0
_lock = threading.Lock()


def record_default(value: Any) -> Any:
    """How an open record (CKAN's DataStore shape) writes what orjson does not know: a decimal as the JSON number
    it is, every digit kept (as PostgreSQL writes numeric); else as `fastread.json_default`."""
    if isinstance(value, Decimal):
        return orjson.Fragment(str(value)) if value.is_finite() else None
    return fastread.json_default(value)


def signature(
    version: fastread.VersionInfo, masked: Mapping[str, str], rules: Rules, *, with_id: bool = False
) -> str:
    """The short hash naming a copy: the version, its columns, the masked items and the rules' version."""
    key = [
        LAYOUT,
        "records-numbers" if with_id else False,  # open records write decimals as numbers (record_default)
        version.id,
        version.table_name,
        str(version.imported_at),
        [s.name for s in version.specs],
        sorted(masked.items()),
        rules.version,
    ]
    return hashlib.sha256(orjson.dumps(key, default=str)).hexdigest()[:12]


def copy_name(
    version: fastread.VersionInfo, masked: Mapping[str, str], rules: Rules, *, with_id: bool = False
) -> str:
    """The copy's table: `<version table>_m<sig>` for the shared-data pages, `_o<sig>` for open-data records
    (each object led by its `_id`, as CKAN's DataStore writes them)."""
    name = f"{version.table_name}_{'o' if with_id else 'm'}{signature(version, masked, rules, with_id=with_id)}"
    if not NAME.match(name):
        raise ValueError(f"bad masked copy name {name!r}")
    return name


def _exists(conn: Connection, name: str) -> bool:
    if conn.dialect.name == "postgresql":
        return conn.exec_driver_sql("SELECT to_regclass(%s) IS NOT NULL", (name,)).scalar() is True
    found = conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
    return found.first() is not None


def _key(conn: Connection | Engine, name: str) -> tuple[str, str]:
    return _database(conn.engine.url), name


@lru_cache(maxsize=64)
def _database(url: sa.URL) -> str:
    return str(url)  # rendered once per database: a page's `ready` check runs on every call


def ready(conn: Connection, name: str) -> bool:
    """Whether the complete copy `name` exists (remembered once seen: a copy never changes)."""
    key = _key(conn, name)
    if key in _ready:
        return True
    if _exists(conn, name):
        _ready.add(key)
        return True
    return False


def forget(conn: Connection | Engine, name: str) -> None:
    """The copy turned out missing (dropped, or another database): look it up again next time."""
    _ready.discard(_key(conn, name))


def copy_table(name: str) -> sa.Table:
    """The Table of a copy (or of its staging table `<name>_b`)."""
    base = name.removesuffix("_b")
    if not NAME.match(base):
        raise ValueError(f"bad masked copy name {name!r}")
    return sa.Table(
        name,
        sa.MetaData(),
        # INTEGER PRIMARY KEY on SQLite: the key is the rowid itself, no second index
        sa.Column(
            "last_row",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            nullable=False,
            autoincrement=False,
        ),
        sa.Column("row_keys", sa.LargeBinary, nullable=False),
        sa.Column("row_ends", sa.LargeBinary, nullable=False),
        sa.Column("j", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("last_row", name=f"{base}_pk"),
    )


@lru_cache(maxsize=256)
def _sql(name: str, dialect: str) -> tuple[str, str]:
    """(the chunks after a key, whether a chunk follows a key) as the driver's SQL for a copy: compiled once, they
    run on every page."""
    if not NAME.match(name):  # a name of our own making, checked: the values are bound
        raise ValueError(f"bad masked copy name {name!r}")
    mark = "?" if dialect == "sqlite" else "%s"
    return (
        f"SELECT row_keys, row_ends, j FROM {name} WHERE last_row > {mark} ORDER BY last_row LIMIT {mark}",  # noqa: S608
        f"SELECT 1 FROM {name} WHERE last_row > {mark} LIMIT 1",  # noqa: S608
    )


class CopyGone(Exception):
    """The copy could not be read (dropped meanwhile by another process): read the version table instead."""


def _cursor(conn: Connection):
    return conn.connection.driver_connection.cursor()


def read_page(conn: Connection, name: str, after: int | None, limit: int) -> tuple[bytes, int, list | None]:
    """(a JSON array of the `limit` rows after `_row` `after`, how many, the next key or None): the chunks that
    hold them, in one indexed query (another when the page ends exactly where the chunks read end)."""
    chunks_sql, more_sql = _sql(name, conn.dialect.name)
    after = -1 if after is None else int(after)
    parts: list[bytes] = []
    count, from_key = 0, after
    cursor = _cursor(conn)
    try:
        while True:
            wanted = -(-(limit - count) // CHUNK) + 1
            try:
                cursor.execute(chunks_sql, (from_key, wanted))
            except conn.dialect.loaded_dbapi.Error as exc:
                raise CopyGone(name) from exc
            chunks = cursor.fetchall()
            for n, (packed_keys, packed_ends, body) in enumerate(chunks):
                keys, ends = array("q"), array("I")
                keys.frombytes(bytes(packed_keys))
                ends.frombytes(bytes(packed_ends))
                start = bisect_right(keys, after)
                stop = min(len(keys), start + limit - count)
                if stop > start:
                    # a view, not a copy: the page is copied once, when _array joins it
                    parts.append(memoryview(body)[ends[start - 1] + 1 if start else 0 : ends[stop - 1]])
                    count += stop - start
                if count == limit:
                    last_key = keys[stop - 1]
                    if stop < len(keys) or n + 1 < len(chunks):
                        return _array(parts), count, [last_key]
                    cursor.execute(more_sql, (last_key,))
                    return _array(parts), count, [last_key] if cursor.fetchone() is not None else None
            if len(chunks) < wanted:  # the copy ends here
                return _array(parts), count, None
            from_key = array("q", bytes(chunks[-1][0]))[-1]
    finally:
        cursor.close()


def _array(parts: list[bytes]) -> bytes:
    """`[part,part,…]` in one copy of the bytes."""
    if not parts:
        return b"[]"
    out = [b","] * (2 * len(parts) + 1)
    out[0], out[-1] = b"[", b"]"
    out[1:-1:2] = parts
    return b"".join(out)


# -- building ----------------------------------------------------------------------------------------------------


def _chunks(
    rows: list[tuple], columns: Sequence[str], masks: Mapping[str, Any], *, with_id: bool = False
) -> list[tuple]:
    """The rows (version-table tuples, `_row` last) as copy chunks: (last_row, row_keys, row_ends, j)."""
    values = fastread.mask_columns(rows, columns, masks)
    names = list(columns)
    if with_id:  # CKAN's records: `_id` (the row number) first
        names = ["_id", *names]
        values = [(r[-1], *v) for r, v in zip(rows, values, strict=True)]
    dumps, default = orjson.dumps, (record_default if with_id else fastread.json_default)
    objects = [dumps(o, default=default) for o in map(dict, map(zip, repeat(names), values))]
    out = []
    for first in range(0, len(rows), CHUNK):
        part = objects[first : first + CHUNK]
        keys = array("q", [r[-1] for r in rows[first : first + CHUNK]])
        ends, end = array("I"), -1
        for o in part:
            end += 1 + len(o)
            ends.append(end)
        out.append((keys[-1], keys.tobytes(), ends.tobytes(), b",".join(part)))
    return out


def build(
    engine: Engine,
    version: fastread.VersionInfo,
    masked: Mapping[str, str],
    rules: Rules,
    *,
    with_id: bool = False,
) -> str:
    """Write the copy of `version` under `rules` (nothing when it exists); returns its name."""
    name = copy_name(version, masked, rules, with_id=with_id)
    columns = [s.name for s in version.specs]
    masks = rules.column_maskers(dict(masked))
    staging = f"{name}_b"
    with engine.connect() as conn:
        if _exists(conn, name):
            _ready.add(_key(conn, name))
            return name
        table = copy_table(staging)
        table.drop(conn, checkfirst=True)  # a build that died half way
        table.create(conn)
        if conn.dialect.name == "postgresql":  # stored as is: no decompression on every page
            conn.exec_driver_sql(f"ALTER TABLE {staging} ALTER COLUMN j SET STORAGE EXTERNAL")
        conn.commit()
        after = None
        while True:
            rows, after = fastread.fetch_page(conn, version.table, columns, after=after, limit=BATCH)
            if rows:
                _write(conn, table, _chunks(rows, columns, masks, with_id=with_id))
                conn.commit()  # one batch at a time: SQLite's other writers (audit entries) are not held up
            if after is None:
                break
        conn.exec_driver_sql(f"ALTER TABLE {staging} RENAME TO {name}")
        conn.commit()
        _ready.add(_key(conn, name))
        drop_stale(conn, version.resource_id, keep=name)
    return name


def _write(conn: Connection, table: sa.Table, rows: list[tuple]) -> None:
    """Append rows to a copy being built: COPY on PostgreSQL, the driver's executemany on SQLite."""
    if conn.dialect.name == "postgresql":
        from psycopg import sql

        statement = sql.SQL("COPY {} (last_row, row_keys, row_ends, j) FROM STDIN").format(
            sql.Identifier(table.name)
        )
        with conn.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
        return
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.executemany(str(table.insert().compile(dialect=conn.dialect)), rows)
    finally:
        cursor.close()


def _copies_of(conn: Connection, resource_id: int) -> list[str]:
    prefix = f"ds_{int(resource_id)}_v"
    if conn.dialect.name == "postgresql":
        sql = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE %s"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE ?"
    names = [r[0] for r in conn.exec_driver_sql(sql, (prefix + "%",))]
    return [n for n in names if NAME.match(n) and n.startswith(prefix)]


def _version_kind(name: str) -> tuple[int, str]:
    """(version number, kind letter m|o) of a copy's name."""
    version, sig = name.split("_v", 1)[1].split("_", 1)
    return int(version), sig[0]


def drop_stale(conn: Connection, resource_id: int, *, keep: str) -> list[str]:
    """Drop the resource's copies of the same kind as `keep` (shared-data pages or open records) of older
    versions, and of this version under other rules; the dropped names."""
    version, kind = _version_kind(keep)
    dropped = []
    for other in _copies_of(conn, resource_id):
        other_version, other_kind = _version_kind(other)
        if other != keep and other_kind == kind and other_version <= version:
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {other}")
            conn.commit()
            forget(conn, other)
            dropped.append(other)
    return dropped


def ensure(
    engine: Engine,
    version: fastread.VersionInfo,
    masked: Mapping[str, str],
    rules: Rules,
    *,
    background: bool | None = None,
    with_id: bool = False,
) -> bool:
    """Have the copy built: now (a small version, or `background=False`) or in a thread of its own; True when
    it was built here and now. One build of a copy at a time in this process; a failure is logged, not raised
    (the normal path keeps serving)."""
    name = copy_name(version, masked, rules, with_id=with_id)
    with _lock:
        if name in _building or time.monotonic() - _failed.get(name, -RETRY_AFTER) < RETRY_AFTER:
            return False
        _building.add(name)
    if background is None:
        background = version.row_count > SYNC_ROWS
    args = (engine, version, dict(masked), rules, name, with_id)
    if background:
        threading.Thread(target=_build_logged, args=args, name=f"zhicheng-{name}", daemon=True).start()
        return False
    return _build_logged(*args)


def _build_logged(
    engine: Engine, version: Any, masked: dict, rules: Rules, name: str, with_id: bool = False
) -> bool:
    try:
        build(engine, version, masked, rules, with_id=with_id)
        return True
    except Exception:  # noqa: BLE001 - a failed copy only means the normal path keeps serving
        log.exception("building the masked copy %s failed", name)
        with _lock:
            _failed[name] = time.monotonic()
        return False
    finally:
        with _lock:
            _building.discard(name)
