"""Normalising how people write an address: full-width forms, Chinese numerals, 幢/座/号楼, vague words."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import cn2an

MAX_CHARS = 200  # longer text is not an address

# words that place something near an address rather than at it ("…附近", "…旁边那个小区")
VAGUE = ("附近", "旁边", "对面", "周边", "周围", "一带", "门口", "边上", "隔壁", "后面", "前面", "背后", "里面",
         "交叉口", "那个", "这个", "那边", "这边", "那里", "这里", "那儿", "这儿", "那块", "这块", "那片")
# leading phrases of a complaint before the address itself
LEAD = re.compile(r"^(?:我(?:家|们)?(?:住)?(?:在|于)|(?:地址|位置|地点)(?:是|为|在)?|位于|住在|就在|在)")
GENERIC_TAIL = re.compile(r"(?:小区|楼盘|地方|位置|那里|这里|处)+$")
_PUNCT = re.compile(r"[\s,，。、;；:：!！?？\"'“”‘’《》<>【】\[\]{}()（）~·…]+")
_NUMERAL = "零〇一二两三四五六七八九十百千"
_CN_NUMBER = re.compile(rf"([{_NUMERAL}]+)(?=(?:号|栋|幢|座|单元|楼|层|室|组|弄|巷\d|房))")
_BUILDING = re.compile(r"(\d+|[A-Za-z])(?:号楼|幢|座|栋|号栋)")
_VAGUE = re.compile("|".join(VAGUE))
_CROSSING = re.compile(r"路口(?![镇村乡社街])")  # "解放西路口" is near 解放西路; 路口镇 is a town
_DIGITS = str.maketrans("零〇一二两三四五六七八九", "001223456789")


@dataclass(frozen=True)
class Normalised:
    """The text ready for matching, and whether it only says "near" something."""

    text: str
    vague: bool


def _numeral(text: str) -> str:
    """A Chinese numeral as digits: 九百三十二 → 932, 九三二 → 932 (digit by digit), 十五 → 15."""
    if not any(c in text for c in "十百千"):
        return text.translate(_DIGITS)
    try:
        return str(int(cn2an.cn2an(text, "smart")))
    except (ValueError, KeyError, TypeError):
        return text


def normalise(text: str) -> Normalised:
    """NFKC (full-width digits and letters to half-width), Chinese numerals before 号/栋/单元/室 to digits, 幢/座/
    号楼 to 栋, punctuation and vague words removed."""
    out = unicodedata.normalize("NFKC", text or "")[: MAX_CHARS * 2]
    out = _PUNCT.sub("", out)
    out = out.replace("－", "-").replace("—", "-")
    out = LEAD.sub("", out)
    out = _CN_NUMBER.sub(lambda m: _numeral(m.group(1)), out)
    out = _BUILDING.sub(lambda m: f"{m.group(1).upper()}栋", out)
    vague = _CROSSING.search(out) is not None
    out = _CROSSING.sub("路", out)
    out, words = _VAGUE.subn("", out)
    vague = vague or words > 0
    if vague:
        out = GENERIC_TAIL.sub("", out)
    return Normalised(out, vague)
