"""Fast page reads of a dataset version (快速分页读取): one keyset page straight from the DB-API cursor into
JSON or CSV bytes, masked column by column; for APIs that serve many rows per call (sharing, open data).

The contract other domains rely on (keep it stable):

- `page_bytes(conn, table, columns, *, masks=None, where=(), order=(), after=None, limit, fmt="json")
  -> PageBytes(body, count, next_key)`
- `keyset_after(table, order, after)` — the keyset condition "after this row" for `order` (the row protocol's,
  `rowquery.keyset`)
- `newest_version(conn, resource_id) -> VersionInfo | None` — the newest version of a resource with its
  specs and Table object, without loading the catalog (the caller has already authorised the read)
- `envelope(head, body, key="items") -> bytes` — a JSON object of `head` with the page's items spliced in

`masks` maps a column name to a *column masker*: a function taking the list of that column's values on the page
and returning the masked list (same length), e.g. `zhicheng.policy.masking.Rules.column_masker(kind)`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from zhicheng.catalog.datasets.rowquery import writers
from zhicheng.catalog.datasets.rowquery.keyset import keyset_after as keyset_after  # the contract above
from zhicheng.catalog.datasets.rowquery.keyset import select_page
from zhicheng.catalog.datasets.rowquery.writers import json_default as json_default
from zhicheng.catalog.datasets.rowstore import build_table
from zhicheng.catalog.items import ItemSpec
from zhicheng.core.prepared import Prepared

ColumnMasker = Callable[[list[Any]], list[Any]]
FORMATS = ("json", "csv")
# column types whose raw sqlite3 values serialise exactly like the SQLAlchemy-processed ones (psycopg always does)
_RAW_SAFE = (sa.String, sa.Text, sa.Integer, sa.BigInteger, sa.Date)


@dataclass(frozen=True)
class PageBytes:
    """One page: `body` (a JSON array of objects, or CSV with a header line), how many rows, and the key
    (the `order` values then `_row`) of the last row when a next page exists (None on the last page)."""

    body: bytes
    count: int
    next_key: list[Any] | None


def _raw_ok(conn: Connection, table: sa.Table, names: Sequence[str]) -> bool:
    if conn.dialect.name == "postgresql":  # psycopg already returns date, Decimal, datetime, bool
        return True
    return all(
        isinstance(table.c[n].type, _RAW_SAFE) and not isinstance(table.c[n].type, sa.Numeric) for n in names
    )


def fetch_page(
    conn: Connection,
    table: sa.Table,
    columns: Sequence[str],
    *,
    where: Sequence[Any] = (),
    order: Sequence[tuple[str, bool]] = (),
    after: Sequence[Any] | None = None,
    limit: int,
) -> tuple[list[tuple], list[Any] | None]:
    """(rows of `columns` — plain tuples, at most `limit` — and the next key or None), in keyset order."""
    result = conn.execute(select_page(table, columns, where, order, after, limit))
    try:
        names = [*columns, *(n for n, _ in order)]
        # the DB-API rows themselves when they need no conversion: no Row object per row
        rows = (
            result.cursor.fetchall() if _raw_ok(conn, table, names) else [tuple(r) for r in result.fetchall()]
        )
    finally:
        result.close()
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    width = len(columns)
    return rows, list(rows[-1][width:])


def mask_columns(rows: list[tuple], columns: Sequence[str], masks: Mapping[str, ColumnMasker] | None) -> list:
    """The rows cut to `columns` with every masked column replaced by its masker's output (column-wise)."""
    width = len(columns)
    wanted = [(i, masks[n]) for i, n in enumerate(columns) if masks and n in masks]
    if not rows:
        return []
    if not wanted:
        return rows if len(rows[0]) == width else [r[:width] for r in rows]
    cols = list(zip(*rows, strict=True))[:width]
    for i, masker in wanted:
        cols[i] = masker(list(cols[i]))
    return list(zip(*cols, strict=True))


def page_bytes(
    conn: Connection,
    table: sa.Table,
    columns: Sequence[str],
    *,
    masks: Mapping[str, ColumnMasker] | None = None,
    where: Sequence[Any] = (),
    order: Sequence[tuple[str, bool]] = (),
    after: Sequence[Any] | None = None,
    limit: int,
    fmt: str = "json",
) -> PageBytes:
    """One keyset page of `columns` of `table` as bytes.

    `where`: SQLAlchemy conditions (bound parameters only); `order`: (column, descending) sort keys, `_row` is
    always the last key; `after`: the `next_key` of the previous page (None for the first page); `limit`: the
    page size (one more row is read to know whether a next page exists); `masks`: column name → column masker
    (applied to the whole column of the page at once); `fmt`: "json" (an array of objects in `columns` order)
    or "csv" (a header line, then the rows). The cost per page is one indexed query and O(limit) work, however
    deep the page.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    rows, next_key = fetch_page(conn, table, columns, where=where, order=order, after=after, limit=limit)
    values = mask_columns(rows, columns, masks)
    if fmt == "csv":
        body = writers.csv_text(columns, values).encode("utf-8")
    else:
        body = writers.json_records(columns, values)
    return PageBytes(body=body, count=len(values), next_key=next_key)


def envelope(head: Mapping[str, Any], body: bytes, key: str = "items") -> bytes:
    """The JSON object `head` with `key` set to the already serialised page `body` (no second encoding)."""
    start = orjson.dumps(dict(head), default=json_default)
    sep = b"," if len(start) > 2 else b""
    return b"".join((start[:-1], sep, orjson.dumps(key), b":", body, b"}"))  # one copy of the page


# -- the newest version of a resource, without the catalog -------------------------------------------------------


@dataclass(frozen=True)
class VersionInfo:
    """A dataset version as a fast reader needs it: ids, its item specs (as imported) and its Table."""

    id: int
    resource_id: int
    version: int
    table_name: str
    specs: tuple[ItemSpec, ...]
    table: sa.Table
    row_count: int = 0
    imported_at: Any = None  # distinguishes two imports that reused a number (a failed one never commits)


@lru_cache(maxsize=256)
def _parsed(table_name: str, columns_json: str) -> tuple[tuple[ItemSpec, ...], sa.Table]:
    # keyed on the stored text itself: a version's columns never change, and a reused id cannot fool it
    from types import SimpleNamespace

    from zhicheng.catalog.datasets.service import specs_of

    specs = tuple(specs_of(SimpleNamespace(columns=json.loads(columns_json))))
    return specs, build_table(table_name, specs)


def _version_query(numbered: bool = False) -> sa.Select:
    from zhicheng.catalog.datasets.models import DatasetVersion

    t = DatasetVersion.__table__
    query = sa.select(
        t.c.id,
        t.c.resource_id,
        t.c.version,
        t.c.table_name,
        sa.cast(t.c.columns, sa.Text),
        t.c.row_count,
        t.c.imported_at,
    ).where(t.c.resource_id == sa.bindparam("resource_id"))
    if numbered:
        return query.where(t.c.version == sa.bindparam("version"))
    return query.order_by(t.c.version.desc()).limit(1)


def newest_version(conn: Connection, resource_id: int) -> VersionInfo | None:
    """The newest version of `resource_id` (None when nothing was imported): one indexed query, specs and Table
    parsed once per version. The caller authorises the read (e.g. through a grant)."""
    return version_info(conn, resource_id)


_QUERIES: dict[bool, Prepared] = {}


def version_info(conn: Connection, resource_id: int, version: int | None = None) -> VersionInfo | None:
    """Version `version` of `resource_id` (the newest when None), or None: as `newest_version`."""
    numbered = version is not None
    query = _QUERIES.get(numbered)
    if query is None:
        query = _QUERIES[numbered] = Prepared(_version_query(numbered))
    params = {"resource_id": resource_id, "version": version} if numbered else {"resource_id": resource_id}
    row = query.first(conn, params)
    if row is None:
        return None
    specs, table = _parsed(row[3], row[4])
    return VersionInfo(
        id=row[0],
        resource_id=row[1],
        version=row[2],
        table_name=row[3],
        specs=specs,
        table=table,
        row_count=int(row[5] or 0),
        imported_at=row[6],
    )
