"""Column-at-a-time checking of a chunk of text rows: the fast path of an import when a chunk is all good.

A chunk is transposed into columns and each column is checked with C-level `map`/`max`/`all` calls instead
of a Python loop per value. Any doubt (a ragged row, an empty value where one is needed, a value that fails)
makes it give up on the chunk; the row-by-row checker then finds and reports the exact bad rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from itertools import repeat
from typing import Any

from zhicheng.catalog.datasets.converters import BadValue, date_converter, predicate_for
from zhicheng.catalog.items import ItemSpec, ItemType

_strip = str.strip


def _iso_dates(column: list[str]) -> bool:
    """True when every value already is an ISO date (YYYY-MM-DD), checked in C."""
    try:
        list(map(date.fromisoformat, column))
    except ValueError:
        return False
    return set(map(len, column)) == {10}


class ColumnPlan:
    """For each data item: where its column is in the file and how a whole column of it is checked."""

    def __init__(self, specs: Sequence[ItemSpec], plan: Sequence[tuple[int, int, Any, bool, str]], width: int):
        self.width = width
        self.size = len(specs)
        by_pos = {pos: (idx, convert, required) for pos, idx, convert, required, _name in plan}
        self.steps: list[tuple[int | None, Callable | None, Callable | None, int, bool]] = []
        for pos, spec in enumerate(specs):
            if pos not in by_pos:
                self.steps.append((None, None, None, 0, False))
                continue
            idx, convert, required = by_pos[pos]
            if ItemType(spec.type) in (ItemType.STRING, ItemType.TEXT):
                self.steps.append((idx, predicate_for(spec), None, int(spec.length or 0), required))
            else:
                self.steps.append((idx, None, convert, 0, required))

    def check(self, rows: list[Sequence[Any]], first: int) -> list[tuple] | None:
        """Storage tuples (row number first) for a chunk of text rows, or None when any doubt remains."""
        if not rows:
            return []
        lengths = set(map(len, rows))
        if lengths != {self.width}:
            return None
        columns = list(zip(*rows, strict=True))
        out: list[Any] = [range(first, first + len(rows))]
        try:
            for idx, predicate, convert, limit, required in self.steps:
                if idx is None:
                    out.append(repeat(None))
                    continue
                column: list[Any] = list(map(_strip, columns[idx]))
                if "" in column:
                    if required or predicate is not None or convert is not None:
                        return None
                    column = [v or None for v in column]
                    if limit and max((len(v) for v in column if v is not None), default=0) > limit:
                        return None
                    out.append(column)
                    continue
                if limit and max(map(len, column)) > limit:
                    return None
                if predicate is not None and not all(map(predicate, column)):
                    return None
                if convert is not None and not (convert is date_converter and _iso_dates(column)):
                    column = list(map(convert, column))
                out.append(column)
        except (BadValue, TypeError, ValueError):
            return None
        return list(zip(*out, strict=False))  # repeat(None) columns are endless
