"""datastore_search's reads as CKAN (on PostgreSQL) gives them: sort keys with NULLs last ascending and first
descending (PostgreSQL's default, on SQLite too), an offset window, and `distinct` rows."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from zhicheng.catalog.datasets import rowstore


def order_by(table: sa.Table, sort: list[tuple[str, bool]]) -> list[sa.ColumnElement]:
    """ORDER BY terms for (column, descending) keys in PostgreSQL's NULL placement."""
    return [
        table.c[name].desc().nulls_first() if desc else table.c[name].asc().nulls_last() for name, desc in sort
    ]


def fetch(
    conn: Connection,
    table: sa.Table,
    names: list[str],
    where: list,
    sort: list[tuple[str, bool]],
    *,
    limit: int,
    offset: int,
    distinct: bool,
) -> tuple[list[tuple], bool]:
    """(rows, whether more follow): `_row` then `names` (only `names` when `distinct`), filtered, in `sort`
    order (ties by row number, or by the columns themselves for distinct rows), from `offset`."""
    row = table.c[rowstore.ROW_COLUMN]
    cols = [table.c[n] for n in names]
    if distinct:
        stmt = sa.select(*cols).distinct()
        ties = [c.asc().nulls_last() for c in cols]
    else:
        stmt = sa.select(row, *cols)
        ties = [row.asc()]
    if where:
        stmt = stmt.where(*where)
    stmt = stmt.order_by(*order_by(table, sort), *ties).offset(offset).limit(limit + 1)
    found = [tuple(r) for r in conn.execute(stmt).fetchall()]
    return found[:limit], len(found) > limit


def count(conn: Connection, table: sa.Table, names: list[str], where: list, *, distinct: bool) -> int:
    """How many rows (distinct rows of `names` when `distinct`) satisfy `where`."""
    if distinct:
        inner = sa.select(*[table.c[n] for n in names]).distinct()
        if where:
            inner = inner.where(*where)
        stmt: Any = sa.select(sa.func.count()).select_from(inner.subquery())
    else:
        stmt = sa.select(sa.func.count()).select_from(table)
        if where:
            stmt = stmt.where(*where)
    return int(conn.execute(stmt).scalar_one())
