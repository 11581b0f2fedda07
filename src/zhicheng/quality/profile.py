"""A profile of a version's data, from its first PROFILE_ROWS rows: null rate, distinct ratio, min/max, lengths,
and the value set when it is small (what rules are proposed from)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from zhicheng.catalog.items import ItemSpec, ItemType

PROFILE_ROWS = 100_000
SMALL_SET = 12


def _json_scalar(value: Any) -> Any:
    """A value as a JSON scalar: numbers, strings, booleans and None as they are, dates in ISO form, else text."""
    if value is None or isinstance(value, int | float | str | bool):
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def profile(conn: Connection, table: sa.Table, specs: list[ItemSpec]) -> dict[str, Any]:
    """{"rows": n, "columns": {name: {nulls, null_rate, distinct, distinct_ratio, min, max, min_len, max_len,
    values}}} over a bounded sample of the table."""
    sample = sa.select(table).order_by(table.c["_row"]).limit(PROFILE_ROWS).subquery()
    rows = conn.execute(sa.select(sa.func.count()).select_from(sample)).scalar_one()
    columns: dict[str, Any] = {}
    for spec in specs:
        if spec.type in (ItemType.GEOMETRY, ItemType.TEXT):
            continue
        col = sample.c[spec.name]
        parts = [sa.func.count(col), sa.func.count(sa.distinct(col))]
        ordered = spec.type in (
            ItemType.INTEGER,
            ItemType.DECIMAL,
            ItemType.DATE,
            ItemType.DATETIME,
            ItemType.STRING,
        )
        if ordered:
            parts += [sa.func.min(col), sa.func.max(col)]
        if spec.type is ItemType.STRING:
            parts += [sa.func.min(sa.func.length(col)), sa.func.max(sa.func.length(col))]
        got = conn.execute(sa.select(*parts)).one()
        filled, distinct = int(got[0]), int(got[1])
        info: dict[str, Any] = {
            "nulls": rows - filled,
            "null_rate": round((rows - filled) / rows, 4) if rows else 0.0,
            "distinct": distinct,
            "distinct_ratio": round(distinct / filled, 4) if filled else 0.0,
            "min": _json_scalar(got[2]) if ordered else None,
            "max": _json_scalar(got[3]) if ordered else None,
            "min_len": got[4] if spec.type is ItemType.STRING else None,
            "max_len": got[5] if spec.type is ItemType.STRING else None,
            "values": None,
        }
        if 0 < distinct <= SMALL_SET:
            found = conn.execute(sa.select(col).where(col.is_not(None)).group_by(col).order_by(col))
            info["values"] = [_json_scalar(v) for (v,) in found]
        columns[spec.name] = info
    return {"rows": rows, "columns": columns}
