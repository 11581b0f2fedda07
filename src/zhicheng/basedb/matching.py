"""Matching records of several sources: key checks (GB 11643, GB 32100) and entity resolution with a score.

Entity resolution compares normalised names, dates and addresses (full-width → half-width, spaces and
middle dots dropped, traditional characters → simplified by OpenCC) with rapidfuzz's normalised Indel
similarity. Candidates are found by blocking: two records are only compared when they share the exact normalised
name, the date and the name's first character, or (without a date) the address, so a million rows never mean a million
squared comparisons.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import opencc
from rapidfuzz.distance import Indel

from zhicheng.core.ids import citizen_id, credit_code

WEIGHTS = {"name": 0.5, "date": 0.3, "address": 0.2}
DEFAULT_THRESHOLD = 0.85
MAX_BLOCK = 200  # a block larger than this (a very common name) is not used to find candidates

_FOLD = str.maketrans("", "", " \t\r\n\u3000·•.-_,，、()（）")  # the separators dropped
_T2S = opencc.OpenCC("t2s")  # OpenCC's traditional → simplified, characters and phrases (乾燥 → 干燥, 乾隆 stays)


def normalise_text(value: Any) -> str:
    """A name or address as compared: NFKC (full-width → half-width), lower case, no spaces or dots, simplified."""
    if value is None:
        return ""
    text = str(value)
    if text.isascii():  # nothing to widen or simplify
        return text.lower().translate(_FOLD)
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return _T2S.convert(text.lower().translate(_FOLD))


def normalise_date(value: Any) -> str:
    """A date as compared: YYYY-MM-DD (a datetime keeps its day only)."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    return unicodedata.normalize("NFKC", str(value)).strip()[:10]


def normalise_key(value: Any) -> str:
    """A key as matched: half-width, trimmed, upper case (a lower-case x check character is the same)."""
    if value is None:
        return ""
    text = str(value)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return text.strip(" ").upper()


def key_validator(check: str | None) -> Callable[[str], bool]:
    """Whether a normalised key is valid: GB 11643 for citizen IDs, GB 32100 for credit codes, non-empty else."""
    if check == "citizen_id":
        return lambda k: len(k) == 18 and citizen_id.is_valid(k, legacy=False)
    if check == "credit_code":
        return credit_code.is_valid
    return lambda k: bool(k) and len(k) <= 64


@dataclass(slots=True)
class Profile:
    """What entity resolution knows of one row: its source, row, normalised name/date/address."""

    source: int
    row: int
    name: str = ""
    date: str = ""
    address: str = ""
    best: float = 0.0
    match: Any = None  # the key of the best candidate found so far

    def blocks(self) -> list[tuple[str, str]]:
        """Exact keys a candidate must share: the name, the date with the name's first character, or (for
        records without a date) the address."""
        out = []
        if self.name:
            out.append(("n", self.name))
            if self.date:
                out.append(("dn", self.date + self.name[0]))
        if self.address and not self.date:  # with a date, name and date already find the candidates
            out.append(("a", self.address))
        return out


def profile(source: int, row: int, name: Any, when: Any, address: Any) -> Profile:
    """The normalised profile of a row."""
    return Profile(source, row, normalise_text(name), normalise_date(when), normalise_text(address))


def score(a: Profile, b: Profile) -> float:
    """Similarity 0..1 of two profiles: weighted Indel similarity over the attributes both have."""
    total = weight = 0.0
    for attr, w in WEIGHTS.items():
        x, y = getattr(a, attr), getattr(b, attr)
        if x and y:
            total += w * (1.0 if x == y else Indel.normalized_similarity(x, y))
            weight += w
    if not a.name or not b.name or weight < 0.5:  # a name and at least one more attribute are needed
        return 0.0
    return total / weight


class Pool:
    """The key-less rows waiting for a match, indexed by their blocks."""

    def __init__(self) -> None:
        self.rows: dict[tuple[int, int], Profile] = {}
        self.blocks: dict[tuple[str, str], list[Profile]] = {}

    def add(self, p: Profile) -> None:
        self.rows[(p.source, p.row)] = p
        for b in p.blocks():
            self.blocks.setdefault(b, []).append(p)

    def __len__(self) -> int:
        return len(self.rows)

    def offer(self, candidate: Profile, key: str) -> None:
        """Compare a keyed row with the pooled rows of its blocks (other sources only); keep each one's best."""
        seen: set[int] = set()
        blocks = self.blocks
        for b in candidate.blocks():
            pooled = blocks.get(b)
            if not pooled or len(pooled) > MAX_BLOCK:
                continue
            for p in pooled:
                if p.source == candidate.source or id(p) in seen:
                    continue
                seen.add(id(p))
                s = score(p, candidate)
                if s > p.best:
                    p.best, p.match = s, key

    def matched(self, threshold: float) -> dict[str, list[Profile]]:
        """Key → the pooled rows matched to it (at most one per source: the best)."""
        out: dict[str, dict[int, Profile]] = {}
        for p in self.rows.values():
            if p.match is None or p.best < threshold:
                continue
            per_source = out.setdefault(p.match, {})
            held = per_source.get(p.source)
            if held is None or p.best > held.best:
                per_source[p.source] = p
        return {k: list(v.values()) for k, v in out.items()}

    def clusters(self, threshold: float, taken: set[tuple[int, int]]) -> list[list[Profile]]:
        """The pooled rows not matched to a key, grouped with each other (one row per source per group)."""
        left = [p for k, p in self.rows.items() if k not in taken]
        group_of: dict[int, list[Profile]] = {id(p): [p] for p in left}
        for p in left:
            for b in p.blocks():
                pooled = self.blocks.get(b, ())
                if len(pooled) > MAX_BLOCK:
                    continue
                for q in pooled:
                    if id(q) not in group_of or q is p:
                        continue
                    gp, gq = group_of[id(p)], group_of[id(q)]
                    if gp is gq or {x.source for x in gp} & {x.source for x in gq}:
                        continue
                    s = score(p, q)
                    if s >= threshold:
                        gp.extend(gq)
                        for x in gq:
                            group_of[id(x)] = gp
                        p.best = max(p.best, s)
                        q.best = max(q.best, s)
        out, seen = [], set()
        for p in left:
            g = group_of[id(p)]
            if id(g) not in seen:
                seen.add(id(g))
                out.append(sorted(g, key=lambda x: x.source))
        return out
