"""The header row of a file people download (表头): the data items' Chinese labels by default, identifiers on
request (`columns=labels|names`); shared by the open-data downloads, the staff version CSV and the sharing file
export. Machine APIs (CKAN DataStore, REST rows, the sharing rows API, its CSV too) keep identifiers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from zhicheng.catalog.datasets.headers import normalise
from zhicheng.core.errors import Invalid

LABELS, NAMES = "labels", "names"
CHOICES = (LABELS, NAMES)
DESCRIPTION = "表头：labels 中文名称（默认）/ names 英文标识符 — header: labels (Chinese labels) or names (identifiers)"


def check_columns(value: str | None, *, default: str = LABELS) -> str:
    """The header choice of a download (`default` when not given); anything else is refused naming `columns`."""
    if value is None or value == "":
        return default
    choice = value.strip().lower()
    if choice not in CHOICES:
        raise Invalid(
            f"不支持的表头选项 {value[:20]}（可选 labels 中文名称、names 英文标识符）",
            f"unsupported header choice {value[:20]} (labels or names)",
            field="columns",
        )
    return choice


def _get(item: Any, key: str) -> Any:
    return item.get(key) if isinstance(item, dict) else getattr(item, key, None)


def labelled(items: Sequence[Any]) -> list[str]:
    """Each item's Chinese label; an item without one keeps its identifier, and labels that an importer would
    confuse (equal once full-width forms, spaces and case are folded, or equal to another item's identifier)
    carry the identifier in brackets: 地址 [addr_home]."""
    names = [str(_get(i, "name") or "") for i in items]
    labels = [str(_get(i, "label") or "").strip() or n for i, n in zip(items, names, strict=True)]
    counts = Counter(normalise(lab) for lab in labels)
    others = Counter(normalise(n) for n in names)
    out = []
    for name, label in zip(names, labels, strict=True):
        key = normalise(label)
        clash = counts[key] > 1 or (others[key] - (key == normalise(name))) > 0
        out.append(f"{label} [{name}]" if clash and label != name else label)
    return out


def header(items: Sequence[Any], columns: str) -> list[str]:
    """The header row for `items` (ItemSpecs or column dicts) under the choice `columns` (labels or names)."""
    if columns == NAMES:
        return [str(_get(i, "name")) for i in items]
    return labelled(items)
