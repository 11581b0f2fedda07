"""Data item identifiers made from their Chinese names with pypinyin: 身份证号 → sfzh (initials) or shen_fen_zheng_hao."""

from __future__ import annotations

import re
from collections.abc import Iterable

from pypinyin import Style, lazy_pinyin

from zhicheng.catalog.items import ITEM_NAME_RE, RESERVED_NAMES
from zhicheng.core.errors import Invalid

STYLES = ("initials", "full")
MAX_LENGTH = 63
_WORD = re.compile(r"[a-z0-9]+")
_HAN = re.compile(r"[\u3400-\u9fff]")
_RUNS = re.compile(r"[\u3400-\u9fff]+|[^\u3400-\u9fff]+")


def _words(name: str, style: str) -> list[str]:
    """The identifier's words: pinyin of each run of Han characters (read as phrases: 重庆 is chong qing), the
    letters and digits between them as they are, lowercased."""
    words: list[str] = []
    for run in _RUNS.findall(name):
        if not _HAN.match(run):
            words.extend(_WORD.findall(run.lower()))
            continue
        syllables = lazy_pinyin(run, style=Style.NORMAL, v_to_u=False)
        if style == "initials":
            words.append("".join(s[:1] for s in syllables))
        else:
            words.extend(syllables)  # ü is written v (lv_se), as in pinyin input methods
    return [w for w in words if w]


def identifier_for(name: str, *, style: str = "initials", taken: Iterable[str] = ()) -> str:
    """An identifier for a data item called `name` that is none of `taken`: pinyin initials (身份证号 → sfzh) or full
    pinyin in snake case (shen_fen_zheng_hao); a clash gets _2, _3 …; a leading digit gets the prefix `c`."""
    if style not in STYLES:
        raise Invalid(f"不支持的标识风格：{style}（可选 initials、full）",
                      f"Unknown identifier style: {style} (initials or full)", field="style")
    text = (name or "").strip()
    if not text:
        raise Invalid("请先填写中文名称", "give the Chinese name first", field="name")
    if len(text) > 100:
        raise Invalid("中文名称最长 100 字", "the name is at most 100 characters", field="name")
    base = "_".join(_words(text, style)) or "item"
    if base[0].isdigit():
        base = "c" + base
    base = base[:MAX_LENGTH].rstrip("_")
    used = {t.strip() for t in taken if t and t.strip()}
    candidate, n = base, 1
    while candidate in used or candidate in RESERVED_NAMES or not ITEM_NAME_RE.match(candidate):
        n += 1
        suffix = f"_{n}"
        candidate = base[:MAX_LENGTH - len(suffix)] + suffix
    return candidate
