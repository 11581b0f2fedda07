"""Plain pages of open rows written as JSON by the database itself in one statement (SQLite json_object /
json_group_array, PostgreSQL json_build_object / json_agg): columns that need neither masking nor conversion."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from zhicheng.catalog.datasets import rowstore
from zhicheng.catalog.items import ItemType

if TYPE_CHECKING:
    from zhicheng.opendata.rows.service import OpenVersion

_JSON_TYPES = (ItemType.STRING, ItemType.TEXT, ItemType.INTEGER, ItemType.DATE, ItemType.GEOMETRY)
MAX_JSON_COLUMNS = 49  # json_object / json_build_object take at most 100 arguments on PostgreSQL


def ready(db: Session, t: OpenVersion, names: list[str]) -> bool:
    """The columns can be written as JSON by the database exactly as the Python path writes them."""
    specs = t.by_name
    return (
        len(names) <= MAX_JSON_COLUMNS
        and db.get_bind().dialect.name in ("sqlite", "postgresql")
        and not any(n in t.masked or ItemType(specs[n].type) not in _JSON_TYPES for n in names)
    )


def page(
    db: Session, t: OpenVersion, names: list[str], start: int, limit: int, shape: str
) -> tuple[int, bytes, list[Any] | None]:
    """Rows start+1 … start+limit (rows are numbered 1..n) as a JSON array built by the database in one
    statement: (rows on the page, the JSON, the next key or None)."""
    conn = db.connection()
    dialect = conn.dialect.name
    sql, order, defaults = _sql(t.table, tuple(names), shape, dialect)
    params = {**defaults, "start": start, "lim": limit}
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.execute(sql, [params[n] for n in order] if order is not None else params)
        body = cursor.fetchone()[0]
    finally:
        cursor.close()
    total = int(t.version.row_count)
    count = max(0, min(limit, total - start))
    more = start + limit < total
    return (
        count,
        body.encode("utf-8") if isinstance(body, str) else bytes(body),
        [start + limit] if more else None,
    )


@lru_cache(maxsize=512)
def _sql(
    table: sa.Table, names: tuple[str, ...], shape: str, dialect: str
) -> tuple[str, tuple[str, ...] | None, dict[str, Any]]:
    """The page-as-JSON statement for these columns, compiled once: (SQL, positional order or None, bound
    defaults). Keys and values are bound parameters; start and limit are given per call."""
    row = table.c[rowstore.ROW_COLUMN]
    sub = (
        sa.select(row, *[table.c[n] for n in names])
        .where(row > sa.bindparam("start", type_=sa.BigInteger))
        .order_by(row)
        .limit(sa.bindparam("lim", type_=sa.Integer))
        .subquery("page")
    )
    cols = [sub.c[rowstore.ROW_COLUMN], *[sub.c[n] for n in names]]
    postgres = dialect == "postgresql"
    if shape == "lists":
        item = (sa.func.json_build_array if postgres else sa.func.json_array)(*cols)
    else:
        pairs: list[Any] = []
        for key, col in zip(["_id", *names], cols, strict=True):
            pairs += [sa.literal(key, sa.String), col]
        item = (sa.func.json_build_object if postgres else sa.func.json_object)(*pairs)
    if postgres:
        from sqlalchemy.dialects import postgresql

        agg = sa.func.coalesce(
            sa.cast(sa.func.json_agg(postgresql.aggregate_order_by(item, cols[0])), sa.Text), "[]"
        )
        compiled = sa.select(agg).select_from(sub).compile(dialect=postgresql.psycopg.dialect())
        return str(compiled), None, dict(compiled.params)
    from sqlalchemy.dialects import sqlite

    # SQLite aggregates the ordered, limited subquery in its order
    compiled = sa.select(sa.func.json_group_array(item)).select_from(sub).compile(dialect=sqlite.dialect())
    return str(compiled), tuple(compiled.positiontup), dict(compiled.params)
