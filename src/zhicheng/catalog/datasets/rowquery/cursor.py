"""The one keyset cursor of the row APIs (`after=`): the sort values and row number of a page's last row, opaque."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from zhicheng.catalog.items import ItemSpec
from zhicheng.core.errors import Invalid

from .filters import convert

MAX_TEXT = 4000
MAX_ROW = 2**31  # the row number column `_row` is an INTEGER


def encode(values: Sequence[Any]) -> str:
    """The `after=` cursor of a page's next key (the sort values, then `_row` of its last row)."""
    raw = orjson.dumps(
        [v if v is None or (isinstance(v, int) and not isinstance(v, bool)) else str(v) for v in values]
    )
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(text: Any, sort: Sequence[tuple[str, bool]], specs: Mapping[str, ItemSpec]) -> list[Any]:
    """The key an `after=` cursor holds, each sort value as its column's type; Invalid (field `after`) for
    anything `encode` did not write for these sort keys."""
    bad = Invalid(
        "after 游标无效（请使用上一页返回的 next）",
        "invalid after cursor (use the next of the previous page)",
        field="after",
    )
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        raise bad
    try:
        values = orjson.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, binascii.Error):  # orjson.JSONDecodeError is a ValueError
        raise bad from None
    if not isinstance(values, list) or len(values) != len(sort) + 1:
        raise bad
    row = values[-1]
    if not isinstance(row, int) or isinstance(row, bool) or not 0 <= row < MAX_ROW:
        raise bad
    if any(isinstance(v, dict | list | bool | float) for v in values[:-1]):
        raise bad
    return [convert(specs[name], v, "after") for (name, _), v in zip(sort, values, strict=False)] + [row]
