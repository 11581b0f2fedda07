"""Identifiers: GB 11643 citizen ID numbers, GB 32100 credit codes, GB/T 2260 region codes, and identify()."""

from __future__ import annotations

from zhicheng.core.errors import AppError

KINDS = {
    "citizen_id": ("公民身份号码", "citizen ID number"),
    "credit_code": ("统一社会信用代码", "unified social credit code"),
    "region_code": ("行政区划代码", "region code"),
    "unknown": ("无法识别", "unrecognised"),
}


def guess_kind(value: str) -> str:
    """What a string looks like it is meant to be, from its shape alone."""
    text = value.strip().replace(" ", "").upper()
    if len(text) == 15 and text.isdigit():
        return "citizen_id"
    if len(text) == 18:
        if text[:17].isdigit() and (text[17].isdigit() or text[17] == "X"):
            # both kinds can be all digits; a known authority + type pair decides for the credit code
            from zhicheng.core.ids import citizen_id, credit_code

            if credit_code.is_valid(text) and not citizen_id.is_valid(text):
                return "credit_code"
            return "citizen_id"
        return "credit_code"
    if text.isdigit() and len(text) in (2, 4, 6, 9, 12):
        return "region_code"
    return "unknown"


def identify(value: str, *, legacy: str = "warn") -> dict:
    """Guess what a string is (citizen ID, credit code, region code) and report its validity and details."""
    from zhicheng.core.ids import citizen_id, credit_code, regions

    text = (value or "").strip()
    kind = guess_kind(text)
    out: dict = {"value": text, "kind": kind, "kind_zh": KINDS[kind][0], "kind_en": KINDS[kind][1],
                 "valid": False, "details": None, "error": None}
    try:
        if kind == "citizen_id":
            out["details"] = citizen_id.parse(text).to_dict()
        elif kind == "credit_code":
            info = credit_code.parse(text, legacy=legacy)  # type: ignore[arg-type]
            out["details"] = info.to_dict()
        elif kind == "region_code":
            region = regions.lookup(text)
            if region is None:
                code = regions.normalise(text)
                raise AppError(f"行政区划代码 {code} 不存在", f"region code {code} does not exist", field="value")
            out["details"] = region.to_dict()
        else:
            raise AppError("无法识别：既不是身份证号码、统一社会信用代码，也不是行政区划代码",
                           "not a citizen ID number, a credit code or a region code", field="value")
        out["valid"] = True
    except AppError as err:
        out["error"] = {"zh": err.zh, "en": err.en, "field": err.field or "value"}
    return out
