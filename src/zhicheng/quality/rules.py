"""Quality rules as data: their kinds, dimensions, code tables, and the checks made when a rule is defined."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import re2

from zhicheng.catalog.items import ItemSpec, ItemType
from zhicheng.core.errors import Invalid

DIMENSIONS: dict[str, tuple[str, str]] = {
    "completeness": ("完整性", "Completeness"),
    "validity": ("有效性", "Validity"),
    "uniqueness": ("唯一性", "Uniqueness"),
    "consistency": ("一致性", "Consistency"),
    "timeliness": ("及时性", "Timeliness"),
}
# kind -> (Chinese name, English name, default dimension)
KINDS: dict[str, tuple[str, str, str]] = {
    "required": ("必填", "required", "completeness"),
    "unique": ("唯一", "unique", "uniqueness"),
    "pattern": ("格式", "pattern", "validity"),
    "range": ("取值范围", "range", "validity"),
    "allowed": ("允许值", "allowed values", "validity"),
    "check": ("校验码", "check digits", "validity"),
    "reference": ("参照完整性", "reference", "consistency"),
    "cross": ("跨字段一致", "cross-field", "consistency"),
    "timely": ("更新及时", "timeliness", "timeliness"),
}
# code tables an allowed-values rule may name
CODE_TABLES: dict[str, tuple[str, str]] = {
    "gb2260": ("GB/T 2260 行政区划代码（在指定日期有效）", "GB/T 2260 region codes (in force on a date)"),
    "gb2261.1": (
        "GB/T 2261.1 性别代码（0 未知、1 男、2 女、9 未说明）",
        "GB/T 2261.1 sex codes (0, 1, 2, 9)",
    ),
}
SEX_CODES = frozenset({"0", "1", "2", "9"})
CHECK_SCHEMES = {
    "citizen_id": ("GB 11643 公民身份号码", "GB 11643 citizen ID"),
    "credit_code": ("GB 32100 统一社会信用代码", "GB 32100 credit code"),
}
CROSS_RELATIONS = {
    "birth_date": ("出生日期与身份证号一致", "birth date matches the citizen ID"),
    "sex": ("性别与身份证号一致", "sex matches the citizen ID"),
}
# how old the newest version may be for each update cycle: the cycle plus a day's grace
CYCLE_LIMITS = {
    "realtime": timedelta(days=1),
    "daily": timedelta(days=2),
    "weekly": timedelta(days=8),
    "monthly": timedelta(days=32),
    "quarterly": timedelta(days=93),
    "yearly": timedelta(days=367),
}
MALE = ("1", "男", "M", "m")
FEMALE = ("2", "女", "F", "f")
MAX_VALUES = 500
MAX_REGEX = 500
RE2_OPTIONS = re2.Options()
RE2_OPTIONS.log_errors = False  # a refused pattern is the officer's error, said in the answer, not in the log
NUMERIC = (ItemType.INTEGER, ItemType.DECIMAL)
TEMPORAL = (ItemType.DATE, ItemType.DATETIME)


def _bad(zh: str, en: str, field: str) -> Invalid:
    return Invalid(zh, en, field=field)


def _spec(specs: dict[str, ItemSpec], item: Any) -> ItemSpec:
    name = str(item or "").strip()
    if name not in specs:
        raise _bad(f"信息项“{name}”不存在于该资源", f"the resource has no data item '{name}'", "item")
    return specs[name]


def _bound(spec: ItemSpec, value: Any, field: str) -> Any:
    """A range bound parsed for the item's type (number, date or date-time), or None."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    try:
        if spec.type is ItemType.INTEGER:
            return int(text)
        if spec.type is ItemType.DECIMAL:
            number = Decimal(text)
            if not number.is_finite():
                raise InvalidOperation
            return number
        if spec.type is ItemType.DATE:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text)
    except (ValueError, InvalidOperation):
        kind = "数字" if spec.type in NUMERIC else "日期（YYYY-MM-DD）"
        raise _bad(f"“{text}”不是有效的{kind}", f"'{text}' is not a valid {spec.type.value}", field) from None


def compile_regex(regex: Any) -> Any:
    """The pattern compiled by RE2 (linear time whatever the pattern), or Invalid naming params.regex: what RE2
    cannot run in linear time (backreferences, lookaround) is refused when the rule is made."""
    text = str(regex or "")
    if not text or len(text) > MAX_REGEX:
        raise _bad(
            f"正则表达式必填，最长 {MAX_REGEX} 字符",
            f"a regex is required, at most {MAX_REGEX} characters",
            "params.regex",
        )
    try:
        return re2.compile(text, RE2_OPTIONS)
    except re2.error as exc:
        reason = exc.args[0].decode("utf-8", "replace") if isinstance(exc.args[0], bytes) else str(exc)
    try:
        re.compile(text)
    except re.error as exc:
        raise _bad(
            f"正则表达式无法编译：{exc}", f"the regex does not compile: {exc}", "params.regex"
        ) from None
    raise _bad(
        f"正则表达式使用了不支持的写法（反向引用如 \\1、环视如 (?=…) (?<!…)），无法保证线性时间执行：{reason}",
        f"the regex uses backreferences or lookaround, which cannot run in linear time: {reason}",
        "params.regex",
    )


def _params(
    kind: str, spec: ItemSpec | None, raw: dict[str, Any], specs: dict[str, ItemSpec]
) -> dict[str, Any]:
    """The parameters of a rule of `kind`, checked and normalised (the parameter at fault if not)."""
    if kind in ("required", "unique"):
        return {}
    if kind == "pattern":
        compile_regex(raw.get("regex"))
        return {"regex": str(raw["regex"])}
    if kind == "range":
        return _range_params(spec, raw)
    if kind == "allowed":
        return _table_params(raw) if raw.get("table") else _values_params(raw)
    if kind == "check":
        scheme = raw.get("scheme") or (spec.check.value if spec.check else None)
        if scheme not in CHECK_SCHEMES:
            raise _bad(
                f"未知的校验规则“{scheme}”，可选：citizen_id、credit_code",
                f"unknown check '{scheme}'; known: citizen_id, credit_code",
                "params.scheme",
            )
        return {"scheme": scheme}
    if kind == "cross":
        return _cross_params(spec, raw, specs)
    raise _bad(f"未知的规则类型“{kind}”", f"unknown rule kind '{kind}'", "kind")


def _range_params(spec: ItemSpec, raw: dict[str, Any]) -> dict[str, Any]:
    if spec.type not in NUMERIC + TEMPORAL:
        raise _bad(
            "取值范围只适用于数值型、日期型信息项",
            "a range applies to number and date items only",
            "item",
        )
    low, high = _bound(spec, raw.get("min"), "params.min"), _bound(spec, raw.get("max"), "params.max")
    if low is None and high is None:
        raise _bad("请至少填写最小值或最大值", "give a minimum or a maximum", "params.min")
    if low is not None and high is not None and low > high:
        raise _bad(
            f"最小值 {low} 大于最大值 {high}", f"min {low} is greater than max {high}", "params.max"
        )
    return {"min": None if low is None else str(low), "max": None if high is None else str(high)}


def _table_params(raw: dict[str, Any]) -> dict[str, Any]:
    """Allowed values from a code table, as it stood on a date (None: today)."""
    table = raw.get("table")
    if table not in CODE_TABLES:
        raise _bad(
            f"未知的代码表“{table}”，可选：{'、'.join(CODE_TABLES)}",
            f"unknown code table '{table}'; known: {', '.join(CODE_TABLES)}",
            "params.table",
        )
    on = raw.get("on")
    if on:
        try:
            on = date.fromisoformat(str(on)).isoformat()
        except ValueError:
            raise _bad("日期格式应为 YYYY-MM-DD", "a date is written YYYY-MM-DD", "params.on") from None
    return {"table": table, "on": on or None}


def _values_params(raw: dict[str, Any]) -> dict[str, Any]:
    """Allowed values listed (a list, or text separated by commas, 、 or lines)."""
    values = raw.get("values")
    if isinstance(values, str):
        values = [v.strip() for v in re.split(r"[,，、\n]", values) if v.strip()]
    if not isinstance(values, list) or not values or len(values) > MAX_VALUES:
        raise _bad(
            f"请列出允许值（1 至 {MAX_VALUES} 个）或选择代码表",
            f"list the allowed values (1 to {MAX_VALUES}) or name a code table",
            "params.values",
        )
    return {"values": sorted({str(v) for v in values})}


def _cross_params(spec: ItemSpec, raw: dict[str, Any], specs: dict[str, ItemSpec]) -> dict[str, Any]:
    relation = raw.get("relation")
    if relation not in CROSS_RELATIONS:
        raise _bad(
            "跨字段规则应为 birth_date 或 sex",
            "a cross-field rule is birth_date or sex",
            "params.relation",
        )
    other = str(raw.get("other") or "").strip()
    if other not in specs:
        raise _bad(
            f"信息项“{other}”不存在于该资源", f"the resource has no data item '{other}'", "params.other"
        )
    if other == spec.name:
        raise _bad("请选择另一个信息项", "choose another data item", "params.other")
    if relation == "birth_date" and specs[other].type not in (ItemType.DATE, ItemType.STRING):
        raise _bad(
            "出生日期应为日期型或字符型信息项",
            "the birth date item must be a date or string item",
            "params.other",
        )
    return {"relation": relation, "other": other}


def validate(raw: dict[str, Any], specs: list[ItemSpec]) -> dict[str, Any]:
    """A rule checked against the resource's data items and normalised (references are checked by the service)."""
    if not isinstance(raw, dict):
        raise _bad("规则应为对象", "a rule must be an object", "rule")
    kind = str(raw.get("kind") or "").strip()
    if kind not in KINDS:
        raise _bad(
            f"未知的规则类型“{kind}”，可选：{'、'.join(KINDS)}",
            f"unknown rule kind '{kind}'; known: {', '.join(KINDS)}",
            "kind",
        )
    dimension = str(raw.get("dimension") or KINDS[kind][2])
    if dimension not in DIMENSIONS:
        raise _bad(f"未知的质量维度“{dimension}”", f"unknown dimension '{dimension}'", "dimension")
    by_name = {s.name: s for s in specs}
    params = raw.get("params") or {}
    if not isinstance(params, dict):
        raise _bad("规则参数应为对象", "params must be an object", "params")
    if kind == "timely":
        return {"kind": kind, "item": None, "dimension": dimension, "params": {}}
    spec = _spec(by_name, raw.get("item"))
    if kind == "reference":
        try:
            target = int(params.get("resource_id"))
        except (TypeError, ValueError):
            raise _bad(
                "请选择被参照的数据资源", "name the referenced resource", "params.resource_id"
            ) from None
        item = str(params.get("item") or "").strip()
        if not item:
            raise _bad("请填写被参照的信息项", "name the referenced data item", "params.item")
        return {
            "kind": kind,
            "item": spec.name,
            "dimension": dimension,
            "params": {"resource_id": target, "item": item},
        }
    return {
        "kind": kind,
        "item": spec.name,
        "dimension": dimension,
        "params": _params(kind, spec, params, by_name),
    }


def find_cycle(edges: dict[int, set[int]], start: int, target: int) -> list[int] | None:
    """A path target → … → start in the reference graph (so that adding start → target closes a cycle)."""
    if start == target:
        return None  # a resource referring to itself (a parent code in the same table) is no cycle to refuse
    todo, seen, parent = [target], {target}, {target: None}
    while todo:
        node = todo.pop()
        if node == start:
            path, at = [], node
            while at is not None:
                path.append(at)
                at = parent[at]
            return path[::-1]
        for nxt in edges.get(node, ()):
            if nxt not in seen and nxt != node:
                seen.add(nxt)
                parent[nxt] = node
                todo.append(nxt)
    return None


def describe(kind: str, item: str | None, params: dict[str, Any], lang: str = "zh-CN",
             labels: dict[str, str] | None = None) -> str:
    """A short human text for a rule ("身份证号 校验码 GB 11643 公民身份号码"): data items by their Chinese names
    (`labels`: identifier → name) on Chinese pages, by their identifiers in English."""
    en = lang.startswith("en")
    label = (lambda n: n) if en or not labels else (lambda n: labels.get(n, n))
    name = KINDS.get(kind, (kind, kind))[1 if en else 0]
    detail = ""
    if kind == "pattern":
        detail = params.get("regex", "")
    elif kind == "range":
        detail = f"[{params.get('min') or '-∞'}, {params.get('max') or '+∞'}]"
    elif kind == "allowed":
        if params.get("table"):
            detail = CODE_TABLES[params["table"]][1 if en else 0]
            if params.get("on"):
                detail += f" @ {params['on']}"
        else:
            values = params.get("values", [])
            detail = "、".join(values[:8]) + ("…" if len(values) > 8 else "")
    elif kind == "check":
        detail = CHECK_SCHEMES.get(params.get("scheme"), ("", ""))[1 if en else 0]
    elif kind == "reference":
        detail = f"→ #{params.get('resource_id')}.{params.get('item')}"
    elif kind == "cross":
        detail = CROSS_RELATIONS[params["relation"]][1 if en else 0] + f" ({label(params.get('other') or '')})"
    return " ".join(p for p in (label(item) if item else "", name, detail) if p)
