"""The row store: one table per dataset version (ds_<resource>_v<version>), written in bulk inside a transaction.

SQLite is written with the driver's executemany in batches, PostgreSQL with COPY; both inside the caller's
transaction, table creation included, so a failed import leaves nothing behind.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from zhicheng.catalog.items import ItemSpec, ItemType

ROW_COLUMN = "_row"
NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
TABLE = re.compile(r"^ds_[0-9]{1,12}_v[0-9]{1,9}$")


def table_name(resource_id: int, version: int) -> str:
    """The table holding the rows of one version of one resource."""
    name = f"ds_{int(resource_id)}_v{int(version)}"
    if not TABLE.match(name):
        raise ValueError(f"bad dataset table name {name!r}")
    return name


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
        return sa.DateTime()
    if kind is ItemType.BOOLEAN:
        return sa.Boolean(create_constraint=False)
    return sa.Text()  # text, and geometry as GeoJSON text


def build_table(name: str, specs: Sequence[ItemSpec]) -> sa.Table:
    """A Table object for a version's rows: `_row` (1, 2, …) then one column per data item."""
    if not TABLE.match(name):
        raise ValueError(f"bad dataset table name {name!r}")
    columns = [sa.Column(ROW_COLUMN, sa.Integer, primary_key=True, autoincrement=False)]
    for spec in specs:
        if not NAME.match(spec.name):
            raise ValueError(f"bad column name {spec.name!r}")
        columns.append(sa.Column(spec.name, _column_type(spec), nullable=True))
    return sa.Table(name, sa.MetaData(), *columns)


def write_version(conn: Connection, table: sa.Table, rows: Iterable[list]) -> int:
    """Create `table` and fill it from `rows` in the connection's open transaction; return rows written.

    `rows` yields [row number, value, …] in the table's column order; the caller rolls back on failure.
    """
    table.create(conn)
    if conn.dialect.name == "postgresql":
        return _copy_postgresql(conn, table, rows)
    return _executemany(conn, table, rows)


def _executemany(conn: Connection, table: sa.Table, rows: Iterable[list]) -> int:
    sql = str(table.insert().compile(dialect=conn.dialect))
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.executemany(sql, rows)  # the driver pulls the rows one by one: memory stays flat
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
