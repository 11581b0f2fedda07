"""Per-column value converters built from a data item's type, limits and check; they raise BadValue."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from zhicheng.catalog.items import ItemCheck, ItemSpec, ItemType

Converter = Callable[[Any], Any]
INT64 = 2**63 - 1
CHINA_TZ = timezone(timedelta(hours=8))


class BadValue(ValueError):
    """A value that does not fit its column; the reason in Chinese and English."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en


def as_text(value: Any) -> str:
    """A cell as text: spreadsheet numbers without a spurious '.0', dates in ISO form."""
    if type(value) is str:
        return value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value).strip()


# -- types ---------------------------------------------------------------------------------------------------

def string_converter(length: int | None) -> Converter:
    def convert(value: Any) -> str:
        text = value.strip() if type(value) is str else as_text(value)
        if length is not None and len(text) > length:
            raise BadValue(f"长度 {len(text)} 超过上限 {length} 个字符", f"{len(text)} characters, at most {length}")
        return text

    return convert


def integer_converter(value: Any) -> int:
    if type(value) is str:
        text = value.strip().replace(",", "")
        try:
            number = int(text)
        except ValueError:
            raise BadValue(f"不是整数：{value[:40]}", f"not an integer: {value[:40]}") from None
    elif isinstance(value, bool):
        raise BadValue("不是整数", "not an integer")
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float | Decimal) and value == int(value):
        number = int(value)
    else:
        raise BadValue(f"不是整数：{value}", f"not an integer: {value}")
    if not -INT64 <= number <= INT64:
        raise BadValue("整数超出范围", "integer out of range")
    return number


def decimal_converter(length: int | None, scale: int | None) -> Converter:
    def convert(value: Any) -> str:
        if isinstance(value, bool):
            raise BadValue("不是数值", "not a number")
        text = as_text(value).replace(",", "") if not isinstance(value, Decimal) else None
        try:
            number = value if text is None else Decimal(text)
        except InvalidOperation:
            raise BadValue(f"不是数值：{str(value)[:40]}", f"not a number: {str(value)[:40]}") from None
        if not number.is_finite():
            raise BadValue("不是有限数值", "not a finite number")
        exponent = number.as_tuple().exponent
        places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        if scale is not None and places > scale:
            raise BadValue(f"小数位数 {places} 超过 {scale} 位", f"{places} decimal places, at most {scale}")
        if length is not None:
            whole = len(str(abs(int(number)))) if int(number) else 0
            if whole > length - (scale or 0):
                raise BadValue(f"整数部分超过 {length - (scale or 0)} 位", f"more than {length - (scale or 0)} integer digits")
        return str(number)

    return convert


_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_DATETIME = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[\sT]*(\d{1,2})\s*[:时点]\s*(\d{1,2})\s*(?:[:分]\s*(\d{1,2})(?:\.(\d{1,6}))?\s*秒?)?\s*分?)?$"
)


def date_converter(value: Any) -> str:
    """A date in any common Chinese form, as ISO text (what both row stores take for a DATE column)."""
    if type(value) is str:
        text = value.strip()
        try:
            day = date.fromisoformat(text)
            return text if len(text) == 10 and text[4] == "-" else day.isoformat()
        except ValueError:
            pass
        m = _DATE.match(text)
        if m:
            try:
                return date(int(m[1]), int(m[2]), int(m[3])).isoformat()
            except ValueError:
                raise BadValue(f"日期不存在：{text}", f"no such date: {text}") from None
        raise BadValue(f"不是日期：{text[:40]}（应为 2024-01-02、2024/1/2 或 2024年1月2日）",
                       f"not a date: {text[:40]} (use 2024-01-02, 2024/1/2 or 2024年1月2日)")
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise BadValue(f"不是日期：{value}", f"not a date: {value}")


def datetime_converter(value: Any) -> str:
    """A date-time in any common form, as ISO text with a space (Beijing local time, no offset)."""
    if isinstance(value, datetime):
        result = value
    elif isinstance(value, date):
        result = datetime(value.year, value.month, value.day)
    elif type(value) is str:
        text = value.strip()
        try:
            result = datetime.fromisoformat(text)
        except ValueError:
            m = _DATETIME.match(text)
            if not m:
                raise BadValue(f"不是日期时间：{text[:40]}（应为 2024-01-02 08:30:00 等）",
                               f"not a date-time: {text[:40]} (use 2024-01-02 08:30:00 or similar)") from None
            try:
                result = datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4] or 0), int(m[5] or 0),
                                  int(m[6] or 0), int((m[7] or "0").ljust(6, "0")))
            except ValueError:
                raise BadValue(f"日期时间不存在：{text}", f"no such date-time: {text}") from None
    else:
        raise BadValue(f"不是日期时间：{value}", f"not a date-time: {value}")
    if result.tzinfo is not None:  # stored as Beijing local time, as the source data mean it
        result = result.astimezone(CHINA_TZ).replace(tzinfo=None)
    return result.isoformat(sep=" ")


_TRUE = {"是", "true", "1", "y", "yes", "t", "对", "有"}
_FALSE = {"否", "false", "0", "n", "no", "f", "错", "无"}


def boolean_converter(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = as_text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise BadValue(f"不是逻辑值：{text[:20]}（应为 是/否、true/false 或 1/0）",
                   f"not a boolean: {text[:20]} (use 是/否, true/false or 1/0)")


def geometry_converter(value: Any) -> str:
    """A GeoJSON geometry (object or text) or WKT, checked with Shapely, stored as compact GeoJSON text."""
    from shapely import wkt
    from shapely.errors import ShapelyError
    from shapely.geometry import mapping, shape
    from shapely.validation import explain_validity

    try:
        if isinstance(value, dict):
            geom = shape(value)
        elif isinstance(value, str) and value.lstrip().startswith("{"):
            geom = shape(json.loads(value))
        elif isinstance(value, str):
            geom = wkt.loads(value)
        else:
            raise BadValue("不是几何对象", "not a geometry")
    except (ShapelyError, ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
        if isinstance(exc, BadValue):
            raise
        raise BadValue(f"几何对象无法解析：{str(exc)[:80]}", f"cannot parse the geometry: {str(exc)[:80]}") from None
    if geom.is_empty:
        raise BadValue("几何对象为空", "empty geometry")
    if not geom.is_valid:
        reason = explain_validity(geom)
        raise BadValue(f"几何对象无效：{reason}", f"invalid geometry: {reason}")
    return json.dumps(mapping(geom), separators=(",", ":"))


# -- checks --------------------------------------------------------------------------------------------------

_POSTCODE = re.compile(r"^\d{6}$")


def _check_function(check: ItemCheck) -> tuple[Callable[[str], bool], str, str]:
    """(predicate, Chinese reason, English reason) for a check."""
    if check is ItemCheck.CITIZEN_ID:
        from zhicheng.core.ids import citizen_id

        return citizen_id.is_valid, "公民身份号码无效（校验位或出生日期不对）", "invalid citizen ID number"
    if check is ItemCheck.CREDIT_CODE:
        from zhicheng.core.ids import credit_code

        return credit_code.is_valid, "统一社会信用代码无效", "invalid unified social credit code"
    if check is ItemCheck.REGION_CODE:
        from zhicheng.core.ids import regions

        return regions.is_valid_code, "行政区划代码无效", "invalid administrative region code"
    if check is ItemCheck.MOBILE:
        from zhicheng.core.ids import mobile

        return mobile.is_valid, "手机号码无效", "invalid mobile number"
    if check is ItemCheck.EMAIL:
        from zhicheng.core.ids import email_address

        return email_address.is_valid, "电子邮箱无效", "invalid e-mail address"
    return _POSTCODE.match, "邮政编码无效（应为 6 位数字）", "invalid postcode (6 digits)"  # type: ignore[return-value]


def converter_for(spec: ItemSpec) -> Converter:
    """One function that converts and checks a non-empty value of `spec`'s column."""
    kind = ItemType(spec.type)
    if kind in (ItemType.STRING, ItemType.TEXT):
        base = string_converter(spec.length)
    elif kind is ItemType.INTEGER:
        base = integer_converter
    elif kind is ItemType.DECIMAL:
        base = decimal_converter(spec.length, spec.scale)
    elif kind is ItemType.DATE:
        base = date_converter
    elif kind is ItemType.DATETIME:
        base = datetime_converter
    elif kind is ItemType.BOOLEAN:
        base = boolean_converter
    else:
        base = geometry_converter
    if not spec.check:
        return base
    ok, zh, en = _check_function(ItemCheck(spec.check))
    check = ItemCheck(spec.check)
    ok = predicate_for(spec) or ok
    upper = check in (ItemCheck.CITIZEN_ID, ItemCheck.CREDIT_CODE)
    excel = check is ItemCheck.CITIZEN_ID

    def checked(value: Any) -> Any:
        try:
            out = base(value)
        except BadValue:
            if excel and stored_as_number(value):
                raise BadValue(EXCEL_NUMBER_ZH, EXCEL_NUMBER_EN) from None
            raise
        text = out if type(out) is str else as_text(out)
        if ok(text):
            return out
        if upper and ok(text.upper()):  # a lower-case x or letter is the same code
            return text.upper() if type(out) is str else out
        if excel and stored_as_number(value):
            raise BadValue(EXCEL_NUMBER_ZH, EXCEL_NUMBER_EN)
        why = check_reason(check, text)
        raise BadValue(f"{zh.split('（')[0]}：{why[0]}" if why else f"{zh}：{text[:40]}",
                       f"{en}: {why[1]}" if why else f"{en}: {text[:40]}")

    return checked


EXCEL_NUMBER_ZH = "此列被 Excel 存成了数字，身份证号后几位已丢失；请把该列设为文本后重新导出"
EXCEL_NUMBER_EN = ("Excel stored this column as numbers and the last digits of the ID numbers are lost; "
                   "format the column as text and export the file again")
_SCIENTIFIC = re.compile(r"^[+-]?\d+(?:\.\d+)?[eE][+-]?\d+$")


def stored_as_number(value: Any) -> bool:
    """True when an (invalid) ID number looks like one a spreadsheet kept as a number: a number cell, text in
    scientific notation (4.30104199001011E+17), or 18 digits ending in 000 (digits past the 15th lost)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float | Decimal):
        return True
    text = str(value).strip()
    return bool(_SCIENTIFIC.match(text)) or (len(text) == 18 and text.isdigit() and text.endswith("000"))


def check_reason(check: ItemCheck, text: str) -> tuple[str, str] | None:
    """Exactly what is wrong with an identifier that failed its check, as `zhicheng id check` says it
    (wrong length, impossible birth date, which character is wrong); None when nothing more precise is known."""
    from zhicheng.core.errors import AppError

    try:
        if check is ItemCheck.CITIZEN_ID:
            from zhicheng.core.ids import citizen_id

            citizen_id.parse(text)
        elif check is ItemCheck.CREDIT_CODE:
            from zhicheng.core.ids import credit_code

            credit_code.parse(text, legacy="error")
        elif check is ItemCheck.REGION_CODE:
            from zhicheng.core.ids import regions

            code = regions.normalise(text)
            if code is None:
                return (f"应为 6 位数字，实际“{text[:20]}”", f"a region code has 6 digits, got '{text[:20]}'")
            found = regions.lookup(code)
            if found is None:
                return (f"{code} 不是 GB/T 2260 区划代码", f"{code} is not a GB/T 2260 code")
            return (f"{code}（{found.name}）已撤销", f"{code} ({found.name}) has been retired")
        else:
            return None
    except AppError as exc:
        return exc.zh, exc.en
    return None


def predicate_for(spec: ItemSpec) -> Callable[[str], Any] | None:
    """The bare yes/no test of a string item's check (region codes answered from a cache), for the hot loop."""
    if not spec.check:
        return None
    check = ItemCheck(spec.check)
    ok = _check_function(check)[0]
    return _memoised(ok) if check is ItemCheck.REGION_CODE else ok


def _memoised(predicate: Callable[[str], Any], limit: int = 100_000) -> Callable[[str], bool]:
    """A predicate over few distinct values (region codes) answered from a bounded cache."""
    cache: dict[str, bool] = {}

    def cached(text: str) -> bool:
        known = cache.get(text)
        if known is None:
            known = bool(predicate(text))
            if len(cache) < limit:
                cache[text] = known
        return known

    return cached
