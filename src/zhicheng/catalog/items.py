"""Data items (信息项): their types, format checks and sensitivity grades, as the import and the catalog share them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from zhicheng.core.errors import Invalid


class ItemType(StrEnum):
    """Storage type of a data item (国家目录编制指南: 字符型 C, 数值型 N, 日期型 D, 日期时间型 T, 逻辑型 L ...)."""

    STRING = "string"  # 字符型 C
    TEXT = "text"  # 备注型 M
    INTEGER = "integer"  # 数值型 N (整数)
    DECIMAL = "decimal"  # 数值型 N / 货币型 Y
    DATE = "date"  # 日期型 D
    DATETIME = "datetime"  # 日期时间型 T
    BOOLEAN = "boolean"  # 逻辑型 L
    GEOMETRY = "geometry"  # 空间型 (GeoJSON geometry, stored as WKT/GeoJSON text)


class ItemCheck(StrEnum):
    """A format/identifier check applied to every value of the item on import."""

    CITIZEN_ID = "citizen_id"  # GB 11643 公民身份号码
    CREDIT_CODE = "credit_code"  # GB 32100 统一社会信用代码
    REGION_CODE = "region_code"  # GB/T 2260 行政区划代码
    MOBILE = "mobile"  # 中国大陆手机号
    EMAIL = "email"
    POSTCODE = "postcode"


class Sensitivity(StrEnum):
    """Grade after GB/T 43697: 一般 / 重要 / 核心."""

    GENERAL = "general"  # 一般数据
    IMPORTANT = "important"  # 重要数据
    CORE = "core"  # 核心数据


TYPE_NAMES = {
    ItemType.STRING: ("字符型", "String"), ItemType.TEXT: ("文本型", "Text"),
    ItemType.INTEGER: ("整数型", "Integer"), ItemType.DECIMAL: ("数值型", "Decimal"),
    ItemType.DATE: ("日期型", "Date"), ItemType.DATETIME: ("日期时间型", "Date-time"),
    ItemType.BOOLEAN: ("逻辑型", "Boolean"), ItemType.GEOMETRY: ("空间型", "Geometry"),
}
SENSITIVITY_NAMES = {
    Sensitivity.GENERAL: ("一般", "General"), Sensitivity.IMPORTANT: ("重要", "Important"),
    Sensitivity.CORE: ("核心", "Core"),
}


@dataclass(frozen=True)
class ItemSpec:
    """What an import needs to know of one data item: its column name, type, limits and check."""

    name: str  # column identifier: ^[a-z][a-z0-9_]{0,62}$
    label: str  # 中文名称
    type: ItemType = ItemType.STRING
    length: int | None = None  # max characters (string) or total digits (decimal)
    scale: int | None = None  # digits after the point (decimal)
    required: bool = False
    check: ItemCheck | None = None
    personal: bool = False  # 个人信息
    sensitivity: Sensitivity = Sensitivity.GENERAL


# -- validation of data items as the catalog registers them -------------------------------------------------

ITEM_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
# names the row store or SQL would trip over: the row number column and a few words no column should carry
RESERVED_NAMES = frozenset({"_row", "select", "from", "where", "table", "order", "group", "user", "check",
                            "default", "primary", "references", "limit", "offset", "null", "and", "or", "not"})
MAX_ITEMS = 500
CHECK_NAMES = {
    ItemCheck.CITIZEN_ID: ("公民身份号码", "Citizen ID"), ItemCheck.CREDIT_CODE: ("统一社会信用代码", "Credit code"),
    ItemCheck.REGION_CODE: ("行政区划代码", "Region code"), ItemCheck.MOBILE: ("手机号码", "Mobile"),
    ItemCheck.EMAIL: ("电子邮箱", "Email"), ItemCheck.POSTCODE: ("邮政编码", "Postcode"),
}


def _enum(cls: type[StrEnum], names: dict, value: Any, field: str, what: tuple[str, str]) -> StrEnum:
    text = str(value).strip()
    for member in cls:
        if text == member.value or text in names.get(member, ()):
            return member
    allowed = "、".join(names[m][0] for m in cls)
    raise Invalid(f"{what[0]}“{text}”无效，可选：{allowed}",
                  f"invalid {what[1]} '{text}'; allowed: {', '.join(m.value for m in cls)}", field=field)


def _int(value: Any, field: str, what: tuple[str, str], low: int, high: int) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise Invalid(f"{what[0]}应为整数", f"{what[1]} must be an integer", field=field)
    try:
        number = int(value)
    except ValueError:
        raise Invalid(f"{what[0]}应为整数", f"{what[1]} must be an integer", field=field) from None
    if not low <= number <= high:
        raise Invalid(f"{what[0]}应在 {low} 到 {high} 之间", f"{what[1]} must be between {low} and {high}",
                      field=field)
    return number


def _bool(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in (None, "", 0, 1, "0", "1"):
        return bool(int(value or 0))
    text = str(value).strip().lower()
    if text in ("true", "yes", "是", "y"):
        return True
    if text in ("false", "no", "否", "n"):
        return False
    raise Invalid("应为是或否", "must be true or false", field=field)


def validate_items(raw_items: list[Any] | None, *, field: str = "items") -> list[dict[str, Any]]:
    """Check a list of data items (dicts) and return them normalised; Invalid names the item and field at fault."""
    if raw_items is None:
        return []
    if not isinstance(raw_items, list):
        raise Invalid("信息项应为列表", "items must be a list", field=field)
    if len(raw_items) > MAX_ITEMS:
        raise Invalid(f"信息项不能超过 {MAX_ITEMS} 个", f"at most {MAX_ITEMS} items", field=field)
    out: list[dict[str, Any]] = []
    names: set[str] = set()
    labels: set[str] = set()
    for i, raw in enumerate(raw_items):
        at = f"{field}.{i}"
        if hasattr(raw, "model_dump"):
            raw = raw.model_dump()
        if not isinstance(raw, dict):
            raise Invalid(f"第 {i + 1} 个信息项格式无效", f"item {i + 1} must be an object", field=at)
        name = str(raw.get("name") or "").strip()
        if not ITEM_NAME_RE.match(name):
            raise Invalid(f"信息项标识“{name}”无效：应以小写字母开头，只含小写字母、数字和下划线，最长 63 位",
                          f"item name '{name}' is invalid: start with a lowercase letter, then lowercase "
                          "letters, digits or underscores, at most 63 characters", field=f"{at}.name")
        if name in RESERVED_NAMES:
            raise Invalid(f"信息项标识“{name}”是保留字", f"item name '{name}' is reserved", field=f"{at}.name")
        if name in names:
            raise Invalid(f"信息项标识“{name}”重复", f"duplicate item name '{name}'", field=f"{at}.name")
        label = str(raw.get("label") or "").strip()
        if not label or len(label) > 100:
            raise Invalid("信息项中文名称必填，最长 100 字", "item label is required, at most 100 characters",
                          field=f"{at}.label")
        if label in labels:
            raise Invalid(f"信息项名称“{label}”重复", f"duplicate item label '{label}'", field=f"{at}.label")
        names.add(name)
        labels.add(label)
        type_ = _enum(ItemType, TYPE_NAMES, raw.get("type") or "string", f"{at}.type", ("数据类型", "type"))
        length = _int(raw.get("length"), f"{at}.length", ("长度", "length"), 1, 65535)
        scale = _int(raw.get("scale"), f"{at}.scale", ("小数位数", "scale"), 0, 30)
        if type_ == ItemType.DECIMAL:
            if length is not None and length > 38:
                raise Invalid("数值型长度不能超过 38 位", "decimal length must be at most 38", field=f"{at}.length")
            if scale is not None and length is not None and scale > length:
                raise Invalid("小数位数不能大于长度", "scale must not exceed length", field=f"{at}.scale")
        elif scale is not None:
            raise Invalid("只有数值型信息项可设小数位数", "only decimal items take a scale", field=f"{at}.scale")
        if length is not None and type_ not in (ItemType.STRING, ItemType.DECIMAL, ItemType.INTEGER):
            raise Invalid("该类型的信息项不设长度", "this item type takes no length", field=f"{at}.length")
        check = raw.get("check")
        check = None if check in (None, "") else _enum(ItemCheck, CHECK_NAMES, check, f"{at}.check",
                                                       ("校验规则", "check"))
        description = raw.get("description")
        description = str(description).strip() or None if description is not None else None
        if description and len(description) > 2000:
            raise Invalid("信息项说明最长 2000 字", "item description is at most 2000 characters",
                          field=f"{at}.description")
        out.append({
            "name": name, "label": label, "type": type_.value, "length": length, "scale": scale,
            "required": _bool(raw.get("required", False), f"{at}.required"), "description": description,
            "personal": _bool(raw.get("personal", False), f"{at}.personal"),
            "sensitivity": _enum(Sensitivity, SENSITIVITY_NAMES, raw.get("sensitivity") or "general",
                                 f"{at}.sensitivity", ("敏感级别", "sensitivity")).value,
            "check": check.value if check else None,
        })
    return out
