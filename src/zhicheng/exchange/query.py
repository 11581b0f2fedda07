"""Query parameters of the delivery API (filter[col][op]=, sort=, fields=, after=, size=) parsed into bound SQL."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

from zhicheng.catalog.datasets.fastread import keyset_after
from zhicheng.catalog.datasets.rowstore import ROW_COLUMN
from zhicheng.catalog.items import ItemSpec, ItemType
from zhicheng.core.errors import Invalid

OPERATORS = ("eq", "ne", "lt", "lte", "gt", "gte", "prefix", "in")
MAX_SIZE = 1000
DEFAULT_SIZE = 100
MAX_IN = 100
MAX_VALUE = 1000
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


def convert(spec: ItemSpec, text: Any, where: str) -> Any:
    """A filter or cursor value as the column's type (Invalid naming `where` when it is not one)."""
    if text is None:
        return None
    text = _text(text, where)
    kind = ItemType(spec.type)
    try:
        if kind is ItemType.INTEGER:
            value = int(text)
            if not -(2**63) <= value < 2**63:
                raise ValueError(text)
            return value
        if kind is ItemType.DECIMAL:
            value = Decimal(text)
            if not value.is_finite():
                raise ValueError(text)
            return value
        if kind is ItemType.DATE:
            return date.fromisoformat(text)
        if kind is ItemType.DATETIME:
            return datetime.fromisoformat(text)
        if kind is ItemType.BOOLEAN:
            low = text.lower()
            if low not in ("true", "false", "1", "0"):
                raise ValueError(text)
            return low in ("true", "1")
    except (ValueError, InvalidOperation) as exc:
        raise Invalid(
            f"{where} 的值 {text[:40]} 不是{_TYPE_ZH.get(kind, '合法值')}",
            f"the value {text[:40]} of {where} is not a valid {kind.value}",
            field=where,
        ) from exc
    return text


_TYPE_ZH = {
    ItemType.INTEGER: "整数",
    ItemType.DECIMAL: "数值",
    ItemType.DATE: "日期 (YYYY-MM-DD)",
    ItemType.DATETIME: "日期时间 (ISO 8601)",
    ItemType.BOOLEAN: "逻辑值 (true/false)",
}


def _text(value: Any, where: str) -> str:
    text = str(value)
    if len(text) > MAX_VALUE:
        raise Invalid(f"{where} 的值过长", f"the value of {where} is too long", field=where)
    if "\x00" in text:  # no back end stores NUL in text: such a value cannot match and PostgreSQL refuses it
        raise Invalid(f"{where} 的值含有空字符", f"the value of {where} holds a NUL character", field=where)
    return text


def _column(name: str, specs: dict[str, ItemSpec], granted: list[str], where: str) -> ItemSpec:
    if name not in specs or name not in granted:
        raise Invalid(
            f"{where}：字段 {name[:64]} 不在授权范围内",
            f"{where}: the field {name[:64]} is not granted",
            field=where,
        )
    return specs[name]


def _refuse_masked(name: str, masked: set[str], where: str, what_zh: str, what_en: str) -> None:
    if name in masked:
        raise Invalid(
            f"字段 {name} 已脱敏，不能用于{what_zh}",
            f"the field {name} is masked and cannot be used to {what_en}",
            field=where,
            code="masked_field",
        )


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
    query = RowQuery(fields=list(granted))
    seen: set[str] = set()
    after: str | None = None
    for key, value in items:
        if key.startswith("filter[") and key.endswith("]"):
            inner = key[len("filter[") : -1]
            name, _, op = inner.partition("][")
            op = op or "eq"
            if op not in OPERATORS:
                raise Invalid(
                    f"不支持的运算符 {op[:20]}（可用：{', '.join(OPERATORS)}）",
                    f"unsupported operator {op[:20]} (use {', '.join(OPERATORS)})",
                    field=key[:80],
                )
            spec = _column(name, specs, granted, key[:80])
            _refuse_masked(name, masked, key[:80], "筛选", "filter by")
            query.filters.append((name, op, _filter_value(spec, op, value, key[:80])))
            continue
        if key not in KNOWN:
            raise Invalid(f"未知参数 {key[:40]}", f"unknown parameter {key[:40]}", field=key[:80])
        if key in seen:
            raise Invalid(f"参数 {key} 重复", f"the parameter {key} is given twice", field=key)
        seen.add(key)
        if key == "fields":
            names = [n.strip() for n in value.split(",") if n.strip()]
            if not names:
                raise Invalid("fields 不能为空", "fields must not be empty", field="fields")
            for n in names:
                _column(n, specs, granted, "fields")
            query.fields = list(dict.fromkeys(names))
        elif key == "sort":
            for part in (p.strip() for p in value.split(",")):
                if not part:
                    continue
                desc, name = part.startswith("-"), part.lstrip("-+")
                _column(name, specs, granted, "sort")
                _refuse_masked(name, masked, "sort", "排序", "sort by")
                query.sort.append((name, desc))
        elif key == "size":
            query.size = _int(value, "size", 1, MAX_SIZE)
        elif key == "format":
            if value not in FORMATS:
                raise Invalid("format 须为 json 或 csv", "format must be json or csv", field="format")
            query.format = value
        elif key == "after":
            after = value
    if after is not None:  # decoded last: the cursor holds the values of the sort keys, whatever their order
        query.after = _decode_cursor(after, query, specs)
    return query


def _filter_value(spec: ItemSpec, op: str, value: str, where: str) -> Any:
    if op == "in":
        parts = value.split(",")
        if len(parts) > MAX_IN:
            raise Invalid(f"in 最多 {MAX_IN} 个值", f"in takes at most {MAX_IN} values", field=where)
        return [convert(spec, p, where) for p in parts]
    if op == "prefix":
        return _text(value, where)
    return convert(spec, value, where)


# -- the keyset cursor: the sort values and _row of the last row of a page -----------------------------------


def _encode(values: list[Any]) -> str:
    raw = json.dumps(
        [
            None if v is None else (v if isinstance(v, int) and not isinstance(v, bool) else str(v))
            for v in values
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def cursor_for(row: Any, query: RowQuery, positions: dict[str, int]) -> str:
    """The `after=` cursor pointing past `row` (a result row: sort keys by position, _row last)."""
    return _encode([row[positions[name]] for name, _ in query.sort] + [row[-1]])


def _decode_cursor(text: str, query: RowQuery, specs: dict[str, ItemSpec]) -> list[Any]:
    bad = Invalid(
        "after 游标无效（请使用上一页返回的 next）",
        "invalid after cursor (use the next of the previous page)",
        field="after",
    )
    if len(text) > 4 * MAX_VALUE:
        raise bad
    try:
        values = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise bad from None
    if not isinstance(values, list) or len(values) != len(query.sort) + 1:
        raise bad
    row = values[-1]
    if not isinstance(row, int) or isinstance(row, bool) or not 0 <= row < 2**31:
        raise bad
    return [convert(specs[name], v, "after") for (name, _), v in zip(query.sort, values, strict=False)] + [
        row
    ]


# -- SQL -----------------------------------------------------------------------------------------------------


def condition(col: sa.ColumnElement, op: str, value: Any) -> sa.ColumnElement:
    """One filter as a bound SQL condition."""
    if op == "eq":
        return col.is_(None) if value is None else col == value
    if op == "ne":
        return col.is_not(None) if value is None else sa.or_(col != value, col.is_(None))
    if op == "prefix":
        return sa.func.substr(sa.cast(col, sa.Text), 1, len(value)) == value
    if op == "in":
        return col.in_(value)
    return {"lt": col < value, "lte": col <= value, "gt": col > value, "gte": col >= value}[op]


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


def _after(table: sa.Table, query: RowQuery) -> sa.ColumnElement:
    # ascending keys put NULLs first, descending keys NULLs last: "after v" is then well defined for NULL too
    return keyset_after(table, query.sort, query.after)


def where_of(table: sa.Table, query: RowQuery, extra: list) -> list:
    """The conditions of a query (the grant's `extra` ones, then the filters asked for), the cursor aside."""
    return list(extra) + [condition(table.c[n], op, v) for n, op, v in query.filters]


def encode_cursor(key: list[Any]) -> str:
    """The `after=` cursor of a page's next key (the sort values then _row of its last row)."""
    return _encode(key)


def build_select(table: sa.Table, query: RowQuery, extra: list) -> sa.Select:
    """SELECT fields, sort keys and _row, filtered, after the cursor, in keyset order, one page (+1 to see more)."""
    sort_cols = [table.c[name] for name, _ in query.sort]
    stmt = sa.select(*[table.c[n] for n in query.fields], *sort_cols, table.c[ROW_COLUMN])
    conds = where_of(table, query, extra)
    if query.after is not None:
        conds.append(_after(table, query))
    if conds:
        stmt = stmt.where(*conds)
    order = [
        (c.desc().nulls_last() if desc else c.asc().nulls_first())
        for c, (_, desc) in zip(sort_cols, query.sort, strict=True)
    ]
    return stmt.order_by(*order, table.c[ROW_COLUMN].asc()).limit(query.size + 1)
