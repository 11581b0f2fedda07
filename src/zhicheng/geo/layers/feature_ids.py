"""Stable feature ids of a layer: a version's feature id is its row number until an OGC API transaction makes a
version from it; then ids follow the features (a delete keeps every other feature's id, a new feature gets an id
never used before), so a GIS client that cached ids edits the feature it means. The map from rows to ids is kept
per version as a few segments ([first row, id - row]): ids rise with rows, so one delete adds one segment."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from zhicheng.geo.layers.models import LayerFeatureIds

TABLE = LayerFeatureIds.__table__


@dataclass(frozen=True)
class FeatureIds:
    """Row → feature id of one version: `segments` ((first row, offset), ...) by row, offset 0 before the first;
    `next_id` the id a new feature gets (0: one past the last row's id)."""

    segments: tuple[tuple[int, int], ...] = ()
    next_id: int = 0

    @property
    def identity(self) -> bool:
        return not self.segments and not self.next_id

    def offset_at(self, row: int) -> int:
        i = bisect_right([s for s, _ in self.segments], row)
        return self.segments[i - 1][1] if i else 0

    def fid(self, row: int) -> int:
        """The id of the feature in row `row`."""
        return row + self.offset_at(row)

    def row(self, fid: int, rows: int) -> int | None:
        """The row of feature `fid` in a version of `rows` rows, None when no feature has that id."""
        bounds = list(self.segments)
        if not bounds or bounds[0][0] > 1:
            bounds.insert(0, (1, 0))
        starts = [s + o for s, o in bounds]  # the id at each segment's first row: ids rise with rows
        i = bisect_right(starts, fid) - 1
        if i < 0:
            return None
        start, offset = bounds[i]
        row = fid - offset
        end = bounds[i + 1][0] if i + 1 < len(bounds) else rows + 1
        return row if start <= row < end and 1 <= row <= rows else None

    def after_delete(self, row: int, rows: int) -> FeatureIds:
        """The ids of the version without row `row` (of `rows`): the rows after it keep their features' ids."""
        segs = [(s, o) for s, o in self.segments if s < row]
        segs.append((row, self.offset_at(row + 1) + 1))
        segs += [(s - 1, o + 1) for s, o in self.segments if s > row + 1]
        return FeatureIds(_normal(segs, rows - 1), max(self.next_id, self.fid(rows) + 1))

    def after_create(self, rows: int, added: int) -> tuple[FeatureIds, list[int]]:
        """The ids of the version with `added` features appended to `rows` rows, and the new features' ids."""
        first = max(self.next_id, self.fid(rows) + 1 if rows else 1)
        segs = [*self.segments, (rows + 1, first - (rows + 1))]
        return FeatureIds(_normal(segs, rows + added), first + added), list(range(first, first + added))


def _normal(segs: list[tuple[int, int]], rows: int) -> tuple[tuple[int, int], ...]:
    """Segments by row, within the rows, with no two in a row of the same offset and no leading offset 0."""
    out: list[tuple[int, int]] = []
    for s, o in sorted(dict(segs).items()):
        if s > rows:
            continue
        if (out[-1][1] if out else 0) == o:
            continue
        out.append((s, o))
    return tuple(out)


def of(conn: Connection, resource_id: int, version: int) -> FeatureIds:
    """The ids of a version (its row numbers unless a transaction made it)."""
    row = conn.execute(sa.select(TABLE.c.segments, TABLE.c.next_id).where(
        TABLE.c.resource_id == resource_id, TABLE.c.version == version)).first()
    if row is None:
        return FeatureIds()
    return FeatureIds(tuple((int(s), int(o)) for s, o in row.segments or ()), int(row.next_id))


def save(conn: Connection, resource_id: int, version: int, ids: FeatureIds) -> None:
    """Keep the ids of a version a transaction made (nothing when they are its row numbers)."""
    if ids.identity:
        return
    conn.execute(TABLE.insert().values(resource_id=resource_id, version=version,
                                       segments=[list(s) for s in ids.segments], next_id=ids.next_id))
