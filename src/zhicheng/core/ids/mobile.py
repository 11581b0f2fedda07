"""Mainland China mobile numbers: the one pattern (1, then 3–9, then nine digits), with an optional +86 or 86."""

from __future__ import annotations

import re

PATTERN = r"^1[3-9]\d{9}$"  # the number as stored: what a quality format rule asks of a mobile column
_NUMBER = re.compile(r"(?:\+?86)?(1[3-9][0-9]{9})")
_SEPARATORS = str.maketrans("", "", " -\u3000")


def normalise(value: object) -> str | None:
    """The 11 digits of a mobile number written with or without +86 and spaces or dashes; None if it is none."""
    if value is None:
        return None
    m = _NUMBER.fullmatch(str(value).strip().translate(_SEPARATORS))
    return m[1] if m else None


def is_valid(value: object) -> bool:
    """Whether `value` is a mobile number (as `normalise` reads it)."""
    return normalise(value) is not None
