"""Query parameters of the delivery API (filter[col][op]=, sort=, fields=, after=, size=) in the row protocol."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from zhicheng.catalog.datasets.rowquery import cursor, filters
from zhicheng.catalog.datasets.rowquery.filters import OPERATORS, condition, convert
from zhicheng.catalog.items import ItemSpec
from zhicheng.core.errors import Invalid

MAX_SIZE = 1000
DEFAULT_SIZE = 100
FORMATS = ("json", "csv")
KNOWN = {"sort", "fields", "after", "size", "format", "lang"}


@dataclass
class RowQuery:
    """A parsed request: the columns to return, filters (column, operator, value), sort keys, cursor, size."""

    fields: list[str]
    filters: list[tuple[str, str, Any]] = field(default_factory=list)
    sort: list[tuple[str, bool]] = field(default_factory=list)  # (column, descending)
    after: list[Any] | None = None
    size: int = DEFAULT_SIZE
    format: str = "json"


def _int(text: str, where: str, low: int, high: int) -> int:
    if not text.strip().isdigit() or not low <= int(text) <= high:
        raise Invalid(
            f"{where} 须为 {low} 至 {high} 的整数",
            f"{where} must be an integer from {low} to {high}",
            field=where,
        )
    return int(text)


def parse(
    items: Iterable[tuple[str, str]], *, specs: dict[str, ItemSpec], granted: list[str], masked: set[str]
) -> RowQuery:
    """The request's query string as a RowQuery; every column checked against the grant, masked ones refused
    for filtering and sorting; values converted to the column's type (they are bound, never spliced)."""

    def column(name: str, where: str, usage: tuple[str, str] | None) -> ItemSpec:
        if name not in specs or name not in granted:
            raise Invalid(
                f"{where}：字段 {name[:64]} 不在授权范围内",
                f"{where}: the field {name[:64]} is not granted",
                field=where,
            )
        if usage and name in masked:
            raise filters.refuse_masked(name, where, usage)
        return specs[name]

    parsed = filters.parse(items, column=column, known=KNOWN)
    query = RowQuery(fields=parsed.fields or list(granted), filters=parsed.filters, sort=parsed.sort)
    params = parsed.params
    if "size" in params:
        query.size = _int(params["size"], "size", 1, MAX_SIZE)
    if "format" in params:
        if params["format"] not in FORMATS:
            raise Invalid("format 须为 json 或 csv", "format must be json or csv", field="format")
        query.format = params["format"]
    if "after" in params:  # decoded last: the cursor holds the values of the sort keys, whatever their order
        query.after = cursor.decode(params["after"], query.sort, specs)
    return query


def row_filter_conditions(table: sa.Table, row_filter: dict | None, specs: dict[str, ItemSpec]) -> list:
    """The grant's row filter ({"dqdm": {"prefix": "430104"}} or {"col": value}) as SQL conditions."""
    out = []
    for name, spec_value in (row_filter or {}).items():
        if name not in specs:  # a filter on a column the version lacks lets nothing through
            out.append(sa.false())
            continue
        ops = spec_value if isinstance(spec_value, dict) else {"eq": spec_value}
        for op, value in ops.items():
            if op not in OPERATORS:
                out.append(sa.false())
                continue
            if op == "in":
                value = [
                    convert(specs[name], v, "row_filter")
                    for v in (value if isinstance(value, list) else [value])
                ]
            elif op != "prefix":
                value = convert(specs[name], value, "row_filter")
            out.append(condition(table.c[name], op, str(value) if op == "prefix" else value))
    return out


def where_of(table: sa.Table, query: RowQuery, extra: list) -> list:
    """The conditions of a query (the grant's `extra` ones, then the filters asked for), the cursor aside."""
    return list(extra) + [condition(table.c[n], op, v) for n, op, v in query.filters]
