"""Masking functions (去标识化展示) for a "mask" decision: ID numbers, phones, names, addresses, e-mail, cards."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

STAR = "*"
_MOBILE_RE = re.compile(r"^(\+?86[- ]?)?(1\d{2})(\d{4})(\d{4})$")
# the administrative part of a Chinese address: units ending 省/自治区/市/区/县/旗/街道/镇/乡 (not 小区)
_ADDRESS_PART_RE = re.compile(r"^(?:.{1,12}?(?:自治区|省|市|(?<!小)区|县|旗|街道|镇|乡))+")


def mask_middle(text: str, keep_start: int, keep_end: int) -> str:
    """Keep `keep_start` leading and `keep_end` trailing characters, star the rest (at least one star)."""
    n = len(text)
    if n == 0:
        return text
    if keep_start + keep_end >= n:  # too short to keep both ends: keep at most the first character
        keep_start, keep_end = min(keep_start, 1 if n > 1 else 0), 0
    return text[:keep_start] + STAR * (n - keep_start - keep_end) + (text[n - keep_end:] if keep_end else "")


def mask_citizen_id(value: str) -> str:
    """公民身份号码: the region code (6) and the last 4 stay, the birth date goes: 430102********1234."""
    return mask_middle(value.strip(), 6, 4)


def mask_mobile(value: str) -> str:
    """手机号: 138****8000 (a +86 prefix is kept)."""
    v = value.strip()
    m = _MOBILE_RE.match(v.replace(" ", "").replace("-", "")) if v else None
    if m:
        return (m.group(1) or "") + m.group(2) + STAR * 4 + m.group(4)
    return mask_middle(v, 3, 4)


def mask_name(value: str) -> str:
    """姓名: the surname stays (two characters for a compound surname of 4+ characters): 张*, 欧阳**."""
    v = value.strip()
    if len(v) <= 1:
        return STAR * len(v)
    if v.isascii():  # a Latin name: initials only
        return " ".join(part[0] + STAR * (len(part) - 1) for part in v.split())
    keep = 2 if len(v) >= 4 else 1
    return v[:keep] + STAR * max(len(v) - keep, 1)


def mask_address(value: str) -> str:
    """地址: the administrative part (省/市/区/街道) stays, the street number and house go: 长沙市岳麓区****."""
    v = value.strip()
    m = _ADDRESS_PART_RE.match(v)
    keep = len(m.group(0)) if m and len(m.group(0)) < len(v) else min(6, max(len(v) - 1, 0))
    return v[:keep] + STAR * 4 if v else v


def mask_email(value: str) -> str:
    """电子邮箱: the first letter and the domain stay: z***@example.cn."""
    v = value.strip()
    local, at, domain = v.partition("@")
    if not at:
        return mask_middle(v, 1, 0)
    return (local[:1] + STAR * 3) + "@" + domain


def mask_bank_card(value: str) -> str:
    """银行卡号: the first 6 (the bank) and last 4 stay."""
    return mask_middle(value.replace(" ", "").strip(), 6, 4)


def mask_credit_code(value: str) -> str:
    """统一社会信用代码 of a natural person's business: the registry part stays, the organisation code goes."""
    return mask_middle(value.strip(), 8, 2)


def mask_default(value: str) -> str:
    """Anything else that is personal: a third at each end stays at most, the middle is starred."""
    v = value.strip()
    keep = len(v) // 4
    return mask_middle(v, keep, keep) if len(v) > 2 else STAR * len(v)


MASKS: dict[str, Callable[[str], str]] = {
    "citizen_id": mask_citizen_id,
    "mobile": mask_mobile,
    "phone": mask_mobile,
    "name": mask_name,
    "address": mask_address,
    "email": mask_email,
    "bank_card": mask_bank_card,
    "credit_code": mask_credit_code,
    "default": mask_default,
}


def mask(value: Any, kind: str | None = None) -> Any:
    """`value` masked as `kind` (a key of MASKS; unknown or None: the default); None and "" stay as they are."""
    if value is None or value == "":
        return value
    return MASKS.get(kind or "default", mask_default)(str(value))


def mask_row(row: dict[str, Any], kinds: dict[str, str | None]) -> dict[str, Any]:
    """A copy of `row` with every column named in `kinds` masked as its kind; other columns untouched."""
    return {col: (mask(v, kinds[col]) if col in kinds else v) for col, v in row.items()}


def kind_for(*, check: str | None, label: str = "", name: str = "") -> str:
    """Which mask fits a data item: by its identifier check first, then by what its label says it holds."""
    if check in MASKS:
        return check
    text = f"{label} {name}".lower()
    for words, kind in ((("身份证", "身份号码", "证件号"), "citizen_id"), (("手机", "电话", "mobile", "phone"), "mobile"),
                        (("姓名", "联系人", "法定代表人", "负责人"), "name"), (("住址", "地址", "address"), "address"),
                        (("邮箱", "email"), "email"), (("银行卡", "账号", "卡号"), "bank_card")):
        if any(w in text for w in words):
            return kind
    return "default"


# -- parameterised masking: the rules are data (the exchange domain's masking rules editor sets them) --------

# where an address is cut: after the last unit of this level (街道/镇/乡 = the street level)
_CUT_LEVELS = {
    "province": ("自治区", "省"),
    "city": ("自治区", "省", "市"),
    "district": ("自治区", "省", "市", "区", "县", "旗"),
    "street": ("自治区", "省", "市", "区", "县", "旗", "街道", "镇", "乡"),
}


def _address_pattern(level: str) -> re.Pattern[str]:
    units = _CUT_LEVELS.get(level, _CUT_LEVELS["street"])
    return re.compile(r"^(?:.{1,12}?(?:" + "|".join(u if u != "区" else "(?<!小)区" for u in units) + "))+")


def _coarsen(value: str, decimals: int) -> str:
    parts = re.split(r"([,\s]+)", value)
    out = []
    for part in parts:
        try:
            out.append(f"{float(part):.{decimals}f}")
        except ValueError:
            out.append(part)
    return "".join(out)


def masker(kind: str | None, params: dict[str, Any] | None = None) -> Callable[[Any], Any]:
    """A function masking values of `kind` with a rule's parameters, prepared once for many values:
    keep_first, keep_last, char (the replacement), address `cut_at` (province/city/district/street),
    coordinates `decimals`; without params, the fixed masks above (`mask`)."""
    if not params:
        fixed = MASKS.get(kind or "default", mask_default)
        return lambda v: v if v is None or v == "" else fixed(str(v))
    char = str(params.get("char") or STAR)[:1]
    if kind == "address":
        match = _address_pattern(str(params.get("cut_at") or "street")).match
        tail = char * 4

        def address(value: Any) -> Any:
            if value is None or value == "":
                return value
            v = str(value).strip()
            m = match(v)
            keep = len(m.group(0)) if m and len(m.group(0)) < len(v) else min(6, max(len(v) - 1, 0))
            return v[:keep] + tail
        return address
    if kind == "coordinates":
        decimals = int(params.get("decimals", 2))
        return lambda v: v if v is None or v == "" else _coarsen(str(v).strip(), decimals)
    first, last = int(params.get("keep_first", 0)), int(params.get("keep_last", 0))
    squeeze = kind in ("bank_card", "citizen_id", "mobile", "phone")  # spaces and dashes are not digits

    def keep_ends(value: Any) -> Any:
        if value is None or value == "":
            return value
        v = str(value).strip()
        if squeeze and (" " in v or "-" in v):
            v = v.replace(" ", "").replace("-", "")
        if kind == "email" and "@" in v:
            local, _, domain = v.partition("@")
            return local[:first] + char * 3 + "@" + domain
        n = len(v)
        if first + last < n:
            return v[:first] + char * (n - first - last) + (v[n - last:] if last else "")
        # too short to keep both ends: keep at most the first character
        keep = min(first, 1 if n > 1 else 0)
        return v[:keep] + char * max(n - keep, 1)
    return keep_ends


def mask_with(value: Any, kind: str | None, params: dict[str, Any] | None = None) -> Any:
    """`value` masked as `kind` with a rule's parameters (see `masker`); no params: `mask(value, kind)`."""
    return masker(kind, params)(value)
