"""Materialised masked copies (物化脱敏副本): a dataset version is immutable, so the JSON object of each of its
rows with every personal or graded item masked can be written once and served page after page.

A copy is the table `ds_<resource>_v<version>_m<sig>` with `_row` (the version table's key) and `j` (the row's
JSON object, byte for byte what `fastread.page_bytes` writes for it). `<sig>` is a short hash of the version
(id, table, import time), its columns, the masked items with their kinds and every masking rule in force: when
an admin edits a rule, the signature of the next call differs, that call takes the normal path (no stale mask
can leave) and the copy is built again. Only the all-items, all-masked variant is kept (a grant of every item,
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
from collections.abc import Mapping, Sequence
from functools import lru_cache
from itertools import repeat
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import psycopg
from sqlalchemy.engine import Connection, Engine

from zhicheng.catalog.datasets import fastread
from zhicheng.exchange import masking_rules

log = logging.getLogger(__name__)
NAME = re.compile(r"^ds_[0-9]{1,12}_v[0-9]{1,9}_m[0-9a-f]{12}$")
BATCH = 2000
SYNC_ROWS = 5000  # a version this small is copied in the calling thread, larger ones in the background
_ready: set[tuple[str, str]] = set()  # (database, copy) this process has seen complete
_building: set[str] = set()
_failed: dict[str, float] = {}  # copy → when its build last failed: not retried before RETRY_AFTER seconds
RETRY_AFTER = 600.0
_lock = threading.Lock()


def signature(version: fastread.VersionInfo, masked: Mapping[str, str], rules: Mapping[str, Any]) -> str:
    """The short hash naming a copy: the version, its columns, the masked items and the rules in force."""
    key = [
        version.id,
        version.table_name,
        str(version.imported_at),
        [s.name for s in version.specs],
        sorted(masked.items()),
        sorted((k, sorted(v.items())) for k, v in rules.items()),
    ]
    return hashlib.sha256(orjson.dumps(key, default=str)).hexdigest()[:12]


def copy_name(version: fastread.VersionInfo, masked: Mapping[str, str], rules: Mapping[str, Any]) -> str:
    name = f"{version.table_name}_m{signature(version, masked, rules)}"
    if not NAME.match(name):
        raise ValueError(f"bad masked copy name {name!r}")
    return name


def _exists(conn: Connection, name: str) -> bool:
    if conn.dialect.name == "postgresql":
        return conn.exec_driver_sql("SELECT to_regclass(%s) IS NOT NULL", (name,)).scalar() is True
    found = conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
    return found.first() is not None


def _key(conn: Connection | Engine, name: str) -> tuple[str, str]:
    return str(conn.engine.url), name


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
        sa.Column("_row", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("j", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("_row", name=f"{base}_pk"),
    )


@lru_cache(maxsize=256)
def _page_sql(name: str, dialect: str, first: bool) -> tuple[str, tuple[str, ...] | None, dict[str, Any]]:
    """The page query of a copy as the driver's SQL, and the order of its parameters when they are positional
    (compiled once: it runs on every page)."""
    t = copy_table(name)
    # SQLite hands the text over as bytes with no decoding (half the cost of a page); psycopg decodes it
    j = sa.cast(t.c.j, sa.LargeBinary) if dialect == "sqlite" else t.c.j
    stmt = sa.select(t.c._row, j).order_by(t.c._row).limit(sa.bindparam("limit"))
    if not first:
        stmt = stmt.where(t.c._row > sa.bindparam("after"))
    compiled = stmt.compile(dialect=_DIALECTS[dialect]())
    order = tuple(compiled.positiontup) if compiled.positional else None
    return str(compiled), order, {k: v for k, v in compiled.params.items() if k not in ("limit", "after")}


_DIALECTS = {"sqlite": sqlite.dialect, "postgresql": psycopg.dialect}


def read_page(conn: Connection, name: str, after: int | None, limit: int) -> tuple[bytes, int, list | None]:
    """(a JSON array of the rows after `_row` `after`, how many, the next key or None): one indexed query."""
    sql, order, fixed = _page_sql(name, conn.dialect.name, after is None)
    args: Any = {**fixed, "limit": limit + 1}
    if after is not None:
        args["after"] = after
    if order is not None:
        args = tuple(args[k] for k in order)
    result = conn.exec_driver_sql(sql, args)
    rows = result.cursor.fetchall()
    result.close()
    next_key = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_key = [rows[-1][0]]
    if rows and rows[0][1].__class__ is str:
        body = ("[" + ",".join([r[1] for r in rows]) + "]").encode()
    else:
        body = b"[" + b",".join([r[1] for r in rows]) + b"]"
    return body, len(rows), next_key


# -- building ----------------------------------------------------------------------------------------------------


def _rows_json(rows: list[tuple], columns: Sequence[str], masks: Mapping[str, Any]) -> list[tuple[int, str]]:
    values = fastread.mask_columns(rows, columns, masks)
    names = list(columns)
    dumps, default = orjson.dumps, fastread.json_default
    objects = map(dict, map(zip, repeat(names), values))
    return [(r[-1], dumps(o, default=default).decode()) for r, o in zip(rows, objects, strict=True)]


def build(
    engine: Engine, version: fastread.VersionInfo, masked: Mapping[str, str], rules: Mapping[str, Any]
) -> str:
    """Write the copy of `version` under `rules` (nothing when it exists); returns its name."""
    name = copy_name(version, masked, rules)
    columns = [s.name for s in version.specs]
    masks = masking_rules.column_maskers(dict(rules), dict(masked))
    staging = f"{name}_b"
    with engine.connect() as conn:
        if _exists(conn, name):
            _ready.add(_key(conn, name))
            return name
        table = copy_table(staging)
        table.drop(conn, checkfirst=True)  # a build that died half way
        table.create(conn)
        conn.commit()
        after = None
        while True:
            rows, after = fastread.fetch_page(conn, version.table, columns, after=after, limit=BATCH)
            if rows:
                _write(conn, table, _rows_json(rows, columns, masks))
                conn.commit()  # one batch at a time: SQLite's other writers (audit entries) are not held up
            if after is None:
                break
        conn.exec_driver_sql(f"ALTER TABLE {staging} RENAME TO {name}")
        conn.commit()
        _ready.add(_key(conn, name))
        drop_stale(conn, version.resource_id, keep=name)
    return name


def _write(conn: Connection, table: sa.Table, rows: list[tuple[int, str]]) -> None:
    """Append rows to a copy being built: COPY on PostgreSQL, the driver's executemany on SQLite."""
    if conn.dialect.name == "postgresql":
        from psycopg import sql

        statement = sql.SQL("COPY {} (_row, j) FROM STDIN").format(sql.Identifier(table.name))
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


def drop_stale(conn: Connection, resource_id: int, *, keep: str) -> list[str]:
    """Drop the resource's copies of older versions, and of this version under other rules; the dropped names."""
    version = int(keep.split("_v", 1)[1].split("_m", 1)[0])
    dropped = []
    for other in _copies_of(conn, resource_id):
        other_version = int(other.split("_v", 1)[1].split("_m", 1)[0])
        if other != keep and other_version <= version:
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {other}")
            conn.commit()
            forget(conn, other)
            dropped.append(other)
    return dropped


def ensure(
    engine: Engine,
    version: fastread.VersionInfo,
    masked: Mapping[str, str],
    rules: Mapping[str, Any],
    *,
    background: bool | None = None,
) -> bool:
    """Have the copy built: now (a small version, or `background=False`) or in a thread of its own; True when
    it was built here and now. One build of a copy at a time in this process; a failure is logged, not raised
    (the normal path keeps serving)."""
    name = copy_name(version, masked, rules)
    with _lock:
        if name in _building or time.monotonic() - _failed.get(name, -RETRY_AFTER) < RETRY_AFTER:
            return False
        _building.add(name)
    if background is None:
        background = version.row_count > SYNC_ROWS
    args = (engine, version, dict(masked), {k: dict(v) for k, v in rules.items()}, name)
    if background:
        threading.Thread(target=_build_logged, args=args, name=f"zhicheng-{name}", daemon=True).start()
        return False
    return _build_logged(*args)


def _build_logged(engine: Engine, version: Any, masked: dict, rules: dict, name: str) -> bool:
    try:
        build(engine, version, masked, rules)
        return True
    except Exception:  # noqa: BLE001 - a failed copy only means the normal path keeps serving
        log.exception("building the masked copy %s failed", name)
        with _lock:
            _failed[name] = time.monotonic()
        return False
    finally:
        with _lock:
            _building.discard(name)
