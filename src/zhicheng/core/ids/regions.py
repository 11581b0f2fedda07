"""GB/T 2260 region codes: names, levels, parents, validity dates and successors, loaded lazily from data/.

Six-digit codes cover 1980 to 2023 (retired codes included, because old citizen ID numbers keep them);
Hunan's 9-digit township and 12-digit village statistical codes are as of 2023-06-30. See data/SOURCES.md.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
# names that stand for "the districts of" / "directly governed": not shown in a path
PLACEHOLDERS = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})
LEVEL_NAMES = {"province": ("省级", "province"), "city": ("地级", "prefecture"), "county": ("县级", "county"),
               "township": ("乡级", "township"), "village": ("村级", "village")}
NATIONAL = "100000"  # used by national authorities in credit codes: the whole country


@dataclass(frozen=True, slots=True)
class Region:
    """One region code over one span of validity (valid_from inclusive, valid_to exclusive; None = open)."""

    code: str
    name: str
    level: str
    parent: str | None
    valid_from: date | None = None
    valid_to: date | None = None
    successors: tuple[str, ...] = ()

    @property
    def retired(self) -> bool:
        return self.valid_to is not None

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day < self.valid_to)

    def last_valid_day(self) -> date | None:
        return self.valid_to - timedelta(days=1) if self.valid_to else None

    def to_dict(self) -> dict:
        """The region as JSON-ready data, with its path and (for a retired code) its current successors."""
        return {
            "code": self.code,
            "name": self.name,
            "level": self.level,
            "level_zh": LEVEL_NAMES[self.level][0],
            "parent": self.parent,
            "path": path(self.code, on=self.last_valid_day()),
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "valid_to": self.valid_to.isoformat() if self.valid_to else None,
            "retired": self.retired,
            "successors": [{"code": r.code, "name": r.name} for r in current_successors(self)],
        }


@dataclass(frozen=True, slots=True)
class _Table:
    spans: dict[str, tuple[Region, ...]]  # six-digit code -> its spans, oldest first
    codes: frozenset[str]  # every six-digit code that was ever valid


def _parent_of(code: str, known: dict[str, object]) -> str | None:
    if len(code) == 12:
        return code[:9]
    if len(code) == 9:
        return code[:6]
    if code[4:] != "00":
        city = code[:4] + "00"
        return city if city in known else code[:2] + "0000"
    if code[2:4] != "00":
        return code[:2] + "0000"
    return None


def _level_of(code: str) -> str:
    if len(code) == 12:
        return "village"
    if len(code) == 9:
        return "township"
    if code[4:] != "00":
        return "county"
    return "city" if code[2:4] != "00" else "province"


def _read_gz(name: str) -> Iterator[dict[str, str]]:
    text = gzip.decompress((DATA / name).read_bytes()).decode("utf-8")
    yield from csv.DictReader(io.StringIO(text))


def _day(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


@cache
def _table() -> _Table:
    rows = list(_read_gz("regions.csv.gz"))
    known = {row["code"]: None for row in rows}
    spans: dict[str, list[Region]] = {}
    for row in rows:
        code = row["code"]
        spans.setdefault(code, []).append(Region(
            code=code, name=row["name"], level=_level_of(code), parent=_parent_of(code, known),
            valid_from=_day(row["valid_from"]), valid_to=_day(row["valid_to"]),
            successors=tuple(row["successors"].split())))
    return _Table({code: tuple(items) for code, items in spans.items()}, frozenset(spans))


@cache
def _local() -> dict[str, Region]:
    return {row["code"]: Region(row["code"], row["name"], _level_of(row["code"]), _parent_of(row["code"], {}))
            for row in _read_gz("local.csv.gz")}


@cache
def _children_index() -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}
    for code, items in _table().spans.items():
        region = items[-1]
        if not region.retired and region.parent:
            index.setdefault(region.parent, []).append(code)
    for code, region in _local().items():
        index.setdefault(region.parent or "", []).append(code)
    return {parent: tuple(sorted(codes)) for parent, codes in index.items()}


def all_codes() -> frozenset[str]:
    """Every six-digit code valid at some time since 1980 (the citizen ID region check)."""
    return _table().codes


def normalise(code: object) -> str | None:
    """The code as 6, 9 or 12 digits ('43' -> '430000', '4301' -> '430100'), or None when it is not one."""
    if not isinstance(code, str):
        return None
    text = code.strip()
    if not (text.isascii() and text.isdigit()):
        return None
    if len(text) in (2, 4):
        return text.ljust(6, "0")
    return text if len(text) in (6, 9, 12) else None


def lookup(code: object, on: date | None = None) -> Region | None:
    """The region a code names: on a given day (None when it was not valid then), or else its latest name."""
    norm = normalise(code)
    if norm is None:
        return None
    if len(norm) > 6:
        return _local().get(norm)
    items = _table().spans.get(norm)
    if not items:
        return None
    if on is None:
        return items[-1]
    for region in items:
        if region.valid_on(on):
            return region
    return None


def history(code: object) -> tuple[Region, ...]:
    """Every span of a six-digit code, oldest first (a code can be renamed, retired or reused)."""
    norm = normalise(code)
    return _table().spans.get(norm, ()) if norm and len(norm) == 6 else ()


def is_valid_code(code: object, on: date | None = None) -> bool:
    """True when the code names a region on that day (today when not given); retired codes are not valid now."""
    region = lookup(code, on)
    if region is None:
        return False
    return on is not None or not region.retired


def known(code: object) -> bool:
    """True when the code named a region at any time (what an old citizen ID number may carry)."""
    return lookup(code) is not None


def children(code: object) -> list[Region]:
    """The current regions directly under a code (for a province: its cities, and counties it governs itself)."""
    norm = normalise(code)
    if norm is None:
        return []
    return [r for c in _children_index().get(norm, ()) if (r := lookup(c)) is not None]


def provinces() -> list[Region]:
    """The current province-level regions."""
    return [items[-1] for code, items in sorted(_table().spans.items())
            if code.endswith("0000") and not items[-1].retired]


def path(code: object, on: date | None = None) -> list[str]:
    """Names from the province down to the region (placeholders such as 市辖区 left out); [] when unknown."""
    region = lookup(code, on) or lookup(code)
    if region is None:
        return []
    day = on or region.last_valid_day()
    names: list[str] = []
    while region is not None:
        if region.name not in PLACEHOLDERS:
            names.append(region.name)
        parent = region.parent
        region = (lookup(parent, day) or lookup(parent)) if parent else None
    return names[::-1]


def current_successors(code: object) -> list[Region]:
    """The current regions a retired code (or retired span, e.g. 420600 襄樊市) now belongs to, following
    successive changes."""
    start = code if isinstance(code, Region) else lookup(code)
    if start is None or not start.retired:
        return []
    seen: set[str] = set()
    out: list[Region] = []
    todo = list(start.successors)
    while todo:
        region = lookup(todo.pop(0))
        if region is None or region.code in seen:
            continue
        seen.add(region.code)
        if region.retired:
            todo.extend(region.successors)
        else:
            out.append(region)
    return out


def search(name: str, *, limit: int = 20, parent: str | None = None, include_retired: bool = False) -> list[Region]:
    """Regions whose name contains `name` (exact matches first, then prefixes), optionally under a parent code."""
    text = (name or "").strip()
    prefix = normalise(parent) if parent else ""
    if prefix is None:
        return []
    scope = prefix
    while len(scope) > 2 and len(scope) <= 6 and scope.endswith("00"):
        scope = scope[:-2]
    candidates: list[Region] = [s for items in _table().spans.values() for s in items]
    if not scope or scope.startswith("43") or len(scope) > 6:
        candidates += list(_local().values())
    found: list[tuple[int, str, Region]] = []
    for region in candidates:
        if scope and (not region.code.startswith(scope) or region.code == prefix):
            continue
        if region.retired and not include_retired:
            continue
        if text and text not in region.name:
            continue
        rank = 0 if region.name == text else (1 if region.name.startswith(text) else 2)
        found.append((rank + (3 if region.retired else 0), region.code, region))
    found.sort(key=lambda item: (item[0], len(item[1]), item[1]))
    return [region for _rank, _code, region in found[:limit]]
