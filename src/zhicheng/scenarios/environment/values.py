"""Measured values as the standards read them: checked (a finite number, not negative) and rounded by GB/T 8170."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from numbers import Real

from zhicheng.core.errors import Invalid


def exact(value: object, *, field: str, name: str, name_en: str | None = None,
          allow_negative: bool = False) -> Fraction:
    """`value` as an exact fraction (a float as the decimal it prints as: 0.1 is 1/10), or Invalid naming `field`.

    Binary floats would put 13.000000000000002 where the table says 13 and round an index up past it."""
    label_en = name_en or name
    if isinstance(value, bool) or not isinstance(value, Real | Decimal | str):
        raise Invalid(f"{name}（{field}）应为数值", f"{label_en} ({field}) must be a number", code="not_a_number",
                      field=field)
    try:
        if isinstance(value, int | Fraction | Decimal | str):
            number = Fraction(value)
        else:  # a float (or numpy's): the decimal it prints as
            number = Fraction(Decimal(repr(float(value))))
    except (ValueError, ArithmeticError, TypeError):
        if isinstance(value, float | Decimal) or (isinstance(value, str) and value.strip().lower().lstrip("+-") in
                                                  ("nan", "inf", "infinity")):
            raise Invalid(f"{name}（{field}）不是有限数值", f"{label_en} ({field}) is not a finite number",
                          code="not_finite", field=field) from None
        raise Invalid(f"{name}（{field}）应为数值，收到“{value}”", f"{label_en} ({field}) must be a number, got "
                      f"'{value}'", code="not_a_number", field=field) from None
    if not allow_negative and number < 0:
        raise Invalid(f"{name}（{field}）不能为负数：{value}", f"{label_en} ({field}) cannot be negative: {value}",
                      code="negative", field=field)
    return number


def is_missing(value: object) -> bool:
    """None (or an empty form field) means not measured; NaN is not missing but an error the caller is told of."""
    return value is None or (isinstance(value, str) and not value.strip())


def rounded(number: Fraction, decimals: int) -> Fraction:
    """GB/T 8170 修约 to `decimals` places: round half to even (四舍六入五成双), exactly."""
    scale = 10 ** decimals
    scaled = number * scale
    whole = math.floor(scaled)
    rest = scaled - whole
    if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and whole % 2 == 1):
        whole += 1
    return Fraction(whole, scale)


def plain(number: Fraction) -> int | float:
    """An exact value for JSON: an int when whole, else the nearest float."""
    return int(number) if number.denominator == 1 else float(number)
