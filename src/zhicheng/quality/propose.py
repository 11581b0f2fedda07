"""Rules proposed from the data items (required, checks, lengths, region codes) and a profile of the data."""

from __future__ import annotations

from typing import Any

from zhicheng.catalog.items import ItemCheck, ItemSpec, ItemType
from zhicheng.core.ids import mobile
from zhicheng.quality import rules as R

MIN_ROWS = 20  # a profile of fewer rows says too little to propose from the data
SMALL_VALUES = 8  # a value set of at most this many values is proposed as the allowed values
PATTERNS = {
    ItemCheck.MOBILE: mobile.PATTERN,
    ItemCheck.EMAIL: r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
    ItemCheck.POSTCODE: r"^\d{6}$",
}


def _rule(kind: str, item: str | None, params: dict[str, Any], reason: str) -> dict[str, Any]:
    return {"kind": kind, "item": item, "dimension": R.KINDS[kind][2], "params": params, "reason": reason}


def _scheme_by_label(spec: ItemSpec) -> str | None:
    """citizen_id or credit_code when the item's label says it holds one (an item registered without its check)."""
    if spec.type is not ItemType.STRING:
        return None
    person = "身份号码" in spec.label or "身份证" in spec.label
    entity = "信用代码" in spec.label
    if person != entity:  # an item that may hold either (当事人证件号) takes neither check
        return "citizen_id" if person else "credit_code"
    return None


def _regiony(spec: ItemSpec) -> bool:
    """An item holding a GB/T 2260 region code, by its label (行政区划代码, 区划代码)."""
    return spec.type is ItemType.STRING and "区划代码" in spec.label


def _codey(spec: ItemSpec) -> bool:
    """An item that holds a code or number of fixed length (代码, 编码, 号码, 编号), by its label or name."""
    return any(w in spec.label for w in ("代码", "编码", "号码", "编号")) or spec.name.endswith(
        ("dm", "bm", "code")
    )


def _sexy(spec: ItemSpec) -> bool:
    return "性别" in spec.label or spec.name in ("xb", "sex", "gender")


def _birthy(spec: ItemSpec) -> bool:
    return "出生" in spec.label or spec.name in ("csrq", "birth_date", "birthday")


def propose(
    specs: list[ItemSpec], prof: dict[str, Any] | None, update_cycle: str | None
) -> list[dict[str, Any]]:
    """Rules that fit the data items and (when given) the profile, each with the reason it is proposed."""
    out: list[dict[str, Any]] = []
    rows = (prof or {}).get("rows", 0)
    cols = (prof or {}).get("columns", {})
    for spec in specs:
        info = cols.get(spec.name) or {}
        enough = rows >= MIN_ROWS and bool(info)
        out += _required(spec, info, rows, enough)
        out += _checks_of_definition(spec, info, enough)
        if enough:
            out += _from_profile(spec, info)
    out += _cross_checks(specs)
    if update_cycle in R.CYCLE_LIMITS:
        out.append(_rule("timely", None, {}, "资源登记了更新周期，最新版本应在周期内导入"))
    return out


def _required(spec: ItemSpec, info: dict[str, Any], rows: int, enough: bool) -> list[dict[str, Any]]:
    """Required when the item is defined so, or when a large enough sample has no empty value."""
    if spec.required:
        return [_rule("required", spec.name, {}, "信息项定义为必填")]
    if enough and info["nulls"] == 0:
        return [_rule("required", spec.name, {}, f"样本 {rows} 行中没有空值")]
    return []


def _checks_of_definition(spec: ItemSpec, info: dict[str, Any], enough: bool) -> list[dict[str, Any]]:
    """The one format rule the item's check (or its label) calls for: a check digit, a region code, a pattern, or
    the fixed length a code's values all have."""
    scheme = _scheme_by_label(spec) if spec.check is None else None
    if spec.check in (ItemCheck.CITIZEN_ID, ItemCheck.CREDIT_CODE):
        why = f"信息项校验规则为{R.CHECK_SCHEMES[spec.check.value][0]}"
        return [_rule("check", spec.name, {"scheme": spec.check.value}, why)]
    if scheme:
        why = f"信息项名称表明它是{R.CHECK_SCHEMES[scheme][0]}，但未设校验规则"
        return [_rule("check", spec.name, {"scheme": scheme}, why)]
    if spec.check is ItemCheck.REGION_CODE or (spec.check is None and _regiony(spec)):
        why = "行政区划代码应为现行 GB/T 2260 代码"
        return [_rule("allowed", spec.name, {"table": "gb2260", "on": None}, why)]
    if spec.check in PATTERNS:
        return [_rule("pattern", spec.name, {"regex": PATTERNS[spec.check]}, "信息项校验规则对应的格式")]
    if (
        spec.type is ItemType.STRING
        and enough
        and _codey(spec)
        and info["min_len"]
        and info["min_len"] == info["max_len"]
        and info["distinct"] > SMALL_VALUES
    ):
        n = info["min_len"]
        return [_rule("pattern", spec.name, {"regex": f"^.{{{n}}}$"}, f"样本中的值长度都为 {n}")]
    return []


def _from_profile(spec: ItemSpec, info: dict[str, Any]) -> list[dict[str, Any]]:
    """What the sample shows: an identifier whose values are all different, a few allowed values, a range."""
    out = []
    if (
        info["distinct_ratio"] >= 0.98
        and info["distinct"] >= MIN_ROWS
        and spec.type in (ItemType.STRING, ItemType.INTEGER)
        and (_codey(spec) or spec.check is not None or _scheme_by_label(spec))
    ):
        share = "全部" if info["distinct_ratio"] == 1.0 else "98% 以上"
        out.append(_rule("unique", spec.name, {}, f"样本中{share}的值互不相同，应是唯一标识"))
    values = info.get("values")
    if values and spec.check is None and spec.type in (ItemType.STRING, ItemType.INTEGER):
        if _sexy(spec) and {str(v) for v in values} <= R.SEX_CODES:
            out.append(_rule("allowed", spec.name, {"table": "gb2261.1"}, "性别代码应符合 GB/T 2261.1"))
        elif len(values) <= SMALL_VALUES:
            why = f"样本中只出现 {len(values)} 种取值"
            out.append(_rule("allowed", spec.name, {"values": [str(v) for v in values]}, why))
    if spec.type in (ItemType.INTEGER, ItemType.DECIMAL, ItemType.DATE) and info.get("min") is not None:
        bounds = {"min": str(info["min"]), "max": str(info["max"])}
        out.append(_rule("range", spec.name, bounds, "样本中的最小值与最大值"))
    return out


def _cross_checks(specs: list[ItemSpec]) -> list[dict[str, Any]]:
    """The birth date and sex items held to the first citizen ID item's digits."""
    ids = [
        s
        for s in specs
        if s.check is ItemCheck.CITIZEN_ID or (s.check is None and _scheme_by_label(s) == "citizen_id")
    ]
    out = []
    for id_spec in ids[:1]:
        for spec in specs:
            if _birthy(spec) and spec.type in (ItemType.DATE, ItemType.STRING):
                params = {"relation": "birth_date", "other": spec.name}
                out.append(_rule("cross", id_spec.name, params, "出生日期应与身份证号码中的出生日期一致"))
            elif _sexy(spec):
                params = {"relation": "sex", "other": spec.name}
                out.append(_rule("cross", id_spec.name, params, "性别应与身份证号码第 17 位一致"))
    return out
