"""The one filter grammar of the row APIs: `filter[col][op]=value`, `fields=`, `sort=`, values typed per column."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

from zhicheng.catalog.items import ItemSpec, ItemType
from zhicheng.core.errors import Invalid

OPERATORS = ("eq", "ne", "lt", "lte", "gt", "gte", "prefix", "in")
MAX_IN = 100
MAX_VALUE = 1000
FILTER = ("筛选", "filter by")
SORT = ("排序", "sort by")

# (name, where, usage) -> the column's spec; Invalid naming `where` when the caller may not use it (for `usage`)
Column = Callable[[str, str, "tuple[str, str] | None"], ItemSpec]


@dataclass
class Parsed:
    """A parsed row request: filters (column, operator, value), sort keys, fields (None: all), other params."""

    filters: list[tuple[str, str, Any]] = field(default_factory=list)
    sort: list[tuple[str, bool]] = field(default_factory=list)  # (column, descending)
    fields: list[str] | None = None
    params: dict[str, str] = field(default_factory=dict)


def parse(
    items: Iterable[tuple[str, str]], *, column: Column, known: Collection[str], implicit: Collection[str] = ()
) -> Parsed:
    """The query string's row parameters: every column checked by `column`, filter values typed, unknown or
    repeated parameters refused; `implicit` names (e.g. `_id`) may be asked for in `fields` without a column."""
    out = Parsed()
    for key, value in items:
        if key.startswith("filter[") and key.endswith("]"):
            name, _, op = key[len("filter[") : -1].partition("][")
            op = op or "eq"
            where = key[:80]
            if op not in OPERATORS:
                raise Invalid(
                    f"不支持的运算符 {op[:20]}（可用：{', '.join(OPERATORS)}）",
                    f"unsupported operator {op[:20]} (use {', '.join(OPERATORS)})",
                    field=where,
                )
            spec = column(name, where, FILTER)
            out.filters.append((name, op, filter_value(spec, op, value, where)))
            continue
        if key not in known:
            raise Invalid(f"未知参数 {key[:40]}", f"unknown parameter {key[:40]}", field=key[:80])
        if key in out.params:
            raise Invalid(f"参数 {key} 重复", f"the parameter {key} is given twice", field=key)
        out.params[key] = value
        if key == "fields":
            names = [n.strip() for n in value.split(",") if n.strip()]
            if not names:
                raise Invalid("fields 不能为空", "fields must not be empty", field="fields")
            chosen = [column(n, "fields", None).name for n in dict.fromkeys(names) if n not in implicit]
            out.fields = chosen or None
        elif key == "sort":
            for part in (p.strip() for p in value.split(",")):
                if part:
                    name = part.lstrip("-+")
                    column(name, "sort", SORT)
                    out.sort.append((name, part.startswith("-")))
    return out


def refuse_masked(name: str, where: str, usage: tuple[str, str]) -> Invalid:
    """The error for using the masked field `name` to filter, sort or search (`usage`: Chinese, English)."""
    return Invalid(
        f"字段 {name} 已脱敏，不能用于{usage[0]}",
        f"the field {name} is masked and cannot be used to {usage[1]}",
        field=where,
        code="masked_field",
    )


def filter_value(spec: ItemSpec, op: str, value: Any, where: str) -> Any:
    """A filter's value as the column's type: a list (or comma-separated text) of 1 to MAX_IN for `in`, text for
    `prefix`, else one value (JSON's true/false as text first)."""
    if op == "in":
        values = value if isinstance(value, list) else str(value).split(",")
        if not values or len(values) > MAX_IN:
            raise Invalid(f"{where} 须有 1 至 {MAX_IN} 个值", f"{where} takes 1 to {MAX_IN} values", field=where)
        return [convert(spec, _scalar(v, where), where) for v in values]
    if op == "prefix":
        return text_value(_scalar(value, where), where)
    return convert(spec, _scalar(value, where), where)


def _scalar(value: Any, where: str) -> Any:
    if isinstance(value, dict | list):
        raise Invalid(f"{where} 的值须为单个值", f"{where} must be a single value", field=where)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def text_value(value: Any, where: str) -> str:
    """`value` as text of at most MAX_VALUE characters without NUL (no back end stores NUL: PostgreSQL refuses it)."""
    text = str(value)
    if len(text) > MAX_VALUE:
        raise Invalid(f"{where} 的值过长", f"the value of {where} is too long", field=where)
    if "\x00" in text:
        raise Invalid(f"{where} 的值含有空字符", f"the value of {where} holds a NUL character", field=where)
    return text


_TYPE_ZH = {
    ItemType.INTEGER: "整数",
    ItemType.DECIMAL: "数值",
    ItemType.DATE: "日期 (YYYY-MM-DD)",
    ItemType.DATETIME: "日期时间 (ISO 8601)",
    ItemType.BOOLEAN: "逻辑值 (true/false)",
}


def convert(spec: ItemSpec, value: Any, where: str) -> Any:
    """A filter or cursor value as the column's type (Invalid naming `where` when it is not one); None stays None."""
    if value is None:
        return None
    text = text_value(value, where)
    kind = ItemType(spec.type)
    try:
        if kind is ItemType.INTEGER:
            number = int(text)
            if not -(2**63) <= number < 2**63:
                raise ValueError(text)
            return number
        if kind is ItemType.DECIMAL:
            dec = Decimal(text)
            if not dec.is_finite():
                raise ValueError(text)
            return dec
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
