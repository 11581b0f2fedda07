"""The row store: one table per dataset version (ds_<resource>_v<version>), staged in short batches, then swapped in.

An import writes its rows into a staging table of its own (ds_stage_<unix time>_<key>), BATCH rows per transaction
(SQLite: the driver's executemany; PostgreSQL: COPY), so that on SQLite another writer (a login's or a delivery's
audit entry) waits for one batch at most, never for the whole import. Nothing reads a staging table: the version
exists only once the caller renames it to the version's name in the transaction that adds the version row
(`swap_in`). A failed import drops its staging table; one that a crash left behind is dropped at the next start.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection

from zhicheng.catalog.datasets.converters import CHINA_TZ
from zhicheng.catalog.items import ItemSpec, ItemType

ROW_COLUMN = "_row"
NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
TABLE = re.compile(r"^ds_[0-9]{1,12}_v[0-9]{1,9}$")
STAGING = re.compile(r"^ds_stage_([0-9]{10})_([0-9a-f]{32})$")
BATCH = 5_000  # rows one transaction of an import writes: SQLite's write lock is held for milliseconds at a time


def table_name(resource_id: int, version: int) -> str:
    """The table holding the rows of one version of one resource."""
    name = f"ds_{int(resource_id)}_v{int(version)}"
    if not TABLE.match(name):
        raise ValueError(f"bad dataset table name {name!r}")
    return name


class _SQLiteStoredDateTime(sqlite.DATETIME):
    """SQLite's DATETIME (the same DDL, read back as a datetime) bound as the importer writes one: the text
    `datetime.isoformat(sep=" ")`, microseconds only when there are some (converters.datetime_converter)."""

    def bind_processor(self, dialect):
        def process(value):
            if isinstance(value, datetime):
                return value.isoformat(sep=" ")
            if isinstance(value, date):
                return datetime(value.year, value.month, value.day).isoformat(sep=" ")
            return value

        return process


class StoredDateTime(sa.types.TypeDecorator):
    """The column type of a datetime item: a value bound against it is the instant as the importer stores one,
    Beijing time without an offset (an aware value converted, so 2020-03-01T01:30:00Z is the row stored as
    2020-03-01 09:30:00), and on SQLite its very text ('2020-03-01 09:30:00'), which SQLAlchemy's own
    '2020-03-01 09:30:00.000000' would neither equal nor order right against. Every reader of a version's rows
    (row filters, keyset cursors, CQL2, quality rules) binds through it; values are read back as datetimes."""

    impl = sa.DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return _SQLiteStoredDateTime()
        return dialect.type_descriptor(sa.DateTime())

    def process_bind_param(self, value, dialect):
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value.astimezone(CHINA_TZ).replace(tzinfo=None)
        return value


def _column_type(spec: ItemSpec) -> sa.types.TypeEngine:
    kind = ItemType(spec.type)
    if kind is ItemType.STRING:
        return sa.String(spec.length) if spec.length else sa.Text()
    if kind is ItemType.INTEGER:
        return sa.BigInteger()
    if kind is ItemType.DECIMAL:
        return sa.Numeric(spec.length or 38, spec.scale or 0, asdecimal=True)
    if kind is ItemType.DATE:
        return sa.Date()
    if kind is ItemType.DATETIME:
        return StoredDateTime()
    if kind is ItemType.BOOLEAN:
        return sa.Boolean(create_constraint=False)
    return sa.Text()  # text, and geometry as GeoJSON text


def staging_name(key: str | None = None) -> str:
    """A new staging table's name: its creation time and `key` (an import job's id, else a random one)."""
    key = key if key and re.fullmatch(r"[0-9a-f]{32}", key) else uuid.uuid4().hex
    return f"ds_stage_{int(time.time()):010d}_{key}"


def build_table(name: str, specs: Sequence[ItemSpec]) -> sa.Table:
    """A Table object for a version's rows: `_row` (1, 2, …) then one column per data item."""
    if not (TABLE.match(name) or STAGING.match(name)):
        raise ValueError(f"bad dataset table name {name!r}")
    columns = [sa.Column(ROW_COLUMN, sa.Integer, primary_key=True, autoincrement=False)]
    for spec in specs:
        if not NAME.match(spec.name):
            raise ValueError(f"bad column name {spec.name!r}")
        columns.append(sa.Column(spec.name, _column_type(spec), nullable=True))
    return sa.Table(name, sa.MetaData(), *columns)


def stage_rows(engine: sa.Engine, table: sa.Table, chunks: Iterable[list[list]]) -> int:
    """Create the staging `table` and fill it from `chunks` (lists of [row number, value, …] in the table's column
    order), BATCH rows per transaction of its own, then ANALYZE it on PostgreSQL; return rows written. The caller drops
    the table on failure."""
    written = 0
    with engine.connect() as conn:
        with conn.begin():
            table.create(conn)
        pending: list[list] = []
        for chunk in chunks:
            pending.extend(chunk)
            if len(pending) >= BATCH:  # rows are read and checked outside any transaction; only writing holds one
                with conn.begin():
                    written += _write(conn, table, pending)
                pending = []
        if pending:
            with conn.begin():
                written += _write(conn, table, pending)
        if conn.dialect.name == "postgresql":  # the planner's statistics now, not when autovacuum comes round: a
            with conn.begin():  # new table without them is read by whole-table scans and hash joins
                conn.exec_driver_sql(f"ANALYZE {table.name}")
    return written


def swap_in(conn: Connection, staging: str, name: str) -> None:
    """Give the staged rows their version's name, in the caller's transaction (the one adding the version row)."""
    if not STAGING.match(staging) or not TABLE.match(name):
        raise ValueError(f"bad table names {staging!r} → {name!r}")
    conn.exec_driver_sql(f"ALTER TABLE {staging} RENAME TO {name}")


def drop_staging(engine: sa.Engine, name: str) -> None:
    """Drop a staging table (an import that failed), in a short transaction of its own."""
    if not STAGING.match(name):
        raise ValueError(f"bad staging table name {name!r}")
    with engine.begin() as conn:
        sa.Table(name, sa.MetaData()).drop(conn, checkfirst=True)


def staging_tables(conn: Connection) -> list[tuple[str, int, str]]:
    """(name, creation time, key) of every staging table in the database."""
    if conn.dialect.name == "postgresql":
        sql = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE %s"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE ?"
    found = []
    for (name,) in conn.exec_driver_sql(sql, ("ds_stage_%",)):
        if m := STAGING.match(name):
            found.append((name, int(m[1]), m[2]))
    return found


def _write(conn: Connection, table: sa.Table, rows: list[list]) -> int:
    if conn.dialect.name == "postgresql":
        return _copy_postgresql(conn, table, rows)
    return _executemany(conn, table, rows)


def _executemany(conn: Connection, table: sa.Table, rows: Iterable[list]) -> int:
    sql = str(table.insert().compile(dialect=conn.dialect))
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.executemany(sql, rows)
        return max(cursor.rowcount, 0)
    finally:
        cursor.close()


def _copy_postgresql(conn: Connection, table: sa.Table, rows: Iterable[list]) -> int:
    from psycopg import sql

    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(c.name) for c in table.columns))
    written = 0
    with conn.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        write = copy.write_row
        for values in rows:
            write(values)
            written += 1
    return written


def read_rows(conn: Connection, table: sa.Table, *, limit: int | None, offset: int = 0) -> Iterator[tuple]:
    """Rows of a version in order, `limit` from `offset` (None: all of them, streamed)."""
    query = sa.select(*[c for c in table.columns if c.name != ROW_COLUMN]).order_by(table.c[ROW_COLUMN])
    if limit is not None:
        query = query.limit(limit).offset(offset)
    elif offset:
        query = query.offset(offset)
    options = {"stream_results": True, "yield_per": 2000} if limit is None else {}
    result = conn.execute(query, execution_options=options)
    for row in result:
        yield tuple(row)


def drop_version(conn: Connection, name: str) -> None:
    """Drop a version's table (used when a version is deleted)."""
    if not TABLE.match(name):
        raise ValueError(f"bad dataset table name {name!r}")
    sa.Table(name, sa.MetaData()).drop(conn, checkfirst=True)
