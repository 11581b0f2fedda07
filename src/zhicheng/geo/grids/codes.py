"""The 14-digit unit grid code (GB/T 30428.1 / CJ/T 213): county 6 + street 3 + community 3 + sequence 2."""

from __future__ import annotations

import re
from dataclasses import dataclass

from zhicheng.core.errors import Invalid

_CODE = re.compile(r"^(\d{6})(\d{3})(\d{3})(\d{2})$")
MAX_SEQUENCE = 99
MERGED_FROM = 601  # CJ/T 349-2010 5.6: units without a code of their own are numbered from 601


@dataclass(frozen=True)
class GridCode:
    """A parsed grid code."""

    county: str
    street: str
    community: str
    sequence: int

    @property
    def prefix(self) -> str:
        """The 12-digit community prefix the sequence counts within."""
        return f"{self.county}{self.street}{self.community}"

    def __str__(self) -> str:
        return f"{self.prefix}{self.sequence:02d}"


def parse(value: object, *, field: str = "grid_code") -> GridCode:
    """A 14-digit grid code, or Invalid naming `field`."""
    text = str(value or "").strip()
    match = _CODE.match(text)
    if not match:
        raise Invalid(f"网格编码须为 14 位数字（6 位区县 + 3 位街道 + 3 位社区 + 2 位顺序码）：{text[:20]!r}",
                      f"a grid code is 14 digits (6 county + 3 street + 3 community + 2 sequence): {text[:20]!r}",
                      field=field)
    county, street, community, seq = match.groups()
    if county[:2] == "00" or county[2:] == "0000":
        raise Invalid(f"网格编码的区县代码无效：{county}", f"the county part of the grid code is not a county: {county}",
                      field=field)
    if int(seq) == 0:
        raise Invalid("网格顺序码从 01 开始", "the grid sequence starts at 01", field=field)
    return GridCode(county, street, community, int(seq))


def make(county: str, street: str, community: str, sequence: int) -> str:
    """The grid code of the `sequence`-th cell of a community (1 … 99)."""
    if not 1 <= sequence <= MAX_SEQUENCE:
        raise Invalid(f"一个社区至多 {MAX_SEQUENCE} 个网格（顺序码 {sequence}）",
                      f"a community holds at most {MAX_SEQUENCE} grids (sequence {sequence})", field="sequence")
    return str(parse(f"{county}{street}{community}{sequence:02d}"))


def community_parts(units: list[tuple[str, str]]) -> dict[str, str]:
    """(street code, community statistical code) pairs → the 3-digit community part of each community's grid codes.

    A community keeps the last three digits of its own code; where two communities of one street unit share
    them (codes of different years fall in one street), the later ones take the next free number from 601 up,
    as CJ/T 349 numbers units without a code of their own."""
    out: dict[str, str] = {}
    used: dict[str, set[str]] = {}
    later: list[tuple[str, str]] = []
    for street, community in sorted(units):
        own = community[-3:] if len(community) >= 3 else "000"
        taken = used.setdefault(street, set())
        if own in taken or own == "000":
            later.append((street, community))
        else:
            taken.add(own)
            out[community] = own
    for street, community in later:
        taken = used[street]
        n = MERGED_FROM
        while f"{n:03d}" in taken:
            n += 1
        taken.add(f"{n:03d}")
        out[community] = f"{n:03d}"
    return out
