"""Bounded search for duplicated values without sorting the table: a fixed-size Bloom filter over the values'
hashes flags, while the rows stream by, each value whose filter bits were all set already (its repeats, plus rare
false positives); the database then counts exactly those few values (GROUP BY over `IN (…)`, no sort of the
table). Memory: the filter (a byte per slot: 16 MB per million rows, at most 64 MB) plus the
candidates, capped; past the cap the caller falls back to SQL GROUP BY … HAVING over the whole column."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

MAX_CANDIDATES = 200_000


class Candidates:
    """The values probably seen before (every repeated value is among them)."""

    def __init__(self, rows_hint: int) -> None:
        bits = 1 << max(20, min(26, (max(rows_hint, 1) * 16).bit_length()))
        self.mask = bits - 1
        self.seen = np.zeros(bits, dtype=bool)
        self.values: set[Any] = set()

    @property
    def overflow(self) -> bool:
        return len(self.values) > MAX_CANDIDATES

    def add(self, values: Iterable[Any]) -> None:
        """Feed one batch of a column's values (None is never a candidate)."""
        if self.overflow:
            return
        values = values if isinstance(values, list | tuple) else list(values)
        if not values:
            return
        h = np.fromiter(map(hash, values), dtype=np.int64, count=len(values))
        a, b = h & self.mask, (h >> 31) & self.mask
        hit = self.seen[a] & self.seen[b]
        uniq, counts = np.unique(h, return_counts=True)  # repeats inside this batch
        repeated = uniq[counts > 1]
        if repeated.size:
            hit |= np.isin(h, repeated)
        for k in np.flatnonzero(hit).tolist():
            if values[k] is not None:
                self.values.add(values[k])
        self.seen[a] = True
        self.seen[b] = True
