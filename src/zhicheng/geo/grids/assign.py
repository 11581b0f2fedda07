"""Point → grid assignment in bulk: an STRtree over the cells finds, once, the cells under each bucket of a
regular bucket grid; a point then finds its candidates by arithmetic (its bucket), keeps those whose box holds it
and Shapely 2's vectorised `intersects_xy` on the prepared cells decides — no point geometry is ever made, and
the work goes in chunks, so memory stays bounded whatever the number of points."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence

import numpy as np
import shapely

CHUNK = 200_000  # points per step: bounded memory whatever the number of points
BUCKETS_PER_CELL = 2  # at most this many buckets per cell (memory of the bucket table is linear in the cells)


class GridIndex:
    """The cells of a grid layer, indexed for point queries (codes[i] is the code of geometries[i])."""

    def __init__(self, codes: Sequence[str], geometries: Sequence[object]) -> None:
        self.codes = np.asarray(list(codes), dtype=object)
        self.geometries = np.asarray(list(geometries), dtype=object)
        shapely.prepare(self.geometries)
        self.tree = shapely.STRtree(self.geometries)
        self.bounds = shapely.bounds(self.geometries) if len(self.geometries) else np.zeros((0, 4))
        self._buckets()

    def _buckets(self) -> None:
        n = len(self.geometries)
        if n == 0:
            self.nx = self.ny = 0
            self.offsets = np.zeros(1, dtype=np.int64)
            self.pair_cells = np.zeros(0, dtype=np.int64)
            return
        minx, miny = self.bounds[:, 0].min(), self.bounds[:, 1].min()
        maxx, maxy = self.bounds[:, 2].max(), self.bounds[:, 3].max()
        # buckets about the size of a typical cell, but never more than BUCKETS_PER_CELL × cells of them
        sx = max(float(np.median(self.bounds[:, 2] - self.bounds[:, 0])), 1e-9)
        sy = max(float(np.median(self.bounds[:, 3] - self.bounds[:, 1])), 1e-9)
        grow = math.sqrt(max(1.0, ((maxx - minx) / sx + 1) * ((maxy - miny) / sy + 1) / (BUCKETS_PER_CELL * n)))
        sx, sy = sx * grow, sy * grow
        nx, ny = int((maxx - minx) / sx) + 1, int((maxy - miny) / sy) + 1
        ix, iy = np.meshgrid(np.arange(nx), np.arange(ny))
        ix, iy = ix.ravel(), iy.ravel()
        boxes = shapely.box(minx + ix * sx, miny + iy * sy, minx + (ix + 1) * sx, miny + (iy + 1) * sy)
        bucket, cell = self.tree.query(boxes)  # the STRtree, once per bucket
        order = np.lexsort((cell, bucket))  # by bucket, then cell: the first hit of a point is its lowest cell
        bucket_ids = iy[bucket[order]] * nx + ix[bucket[order]]
        self.pair_cells = cell[order].astype(np.int64)
        pair_bucket = bucket_ids.astype(np.int64)
        resort = np.argsort(pair_bucket, kind="stable")
        self.pair_cells, pair_bucket = self.pair_cells[resort], pair_bucket[resort]
        self.offsets = np.searchsorted(pair_bucket, np.arange(nx * ny + 1)).astype(np.int64)
        self.minx, self.miny, self.sx, self.sy, self.nx, self.ny = minx, miny, sx, sy, nx, ny

    def __len__(self) -> int:
        return len(self.codes)

    def _chunk(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        out = np.full(len(x), -1, dtype=np.int64)
        if self.nx == 0:
            return out
        with np.errstate(invalid="ignore"):
            bx = np.floor((x - self.minx) / self.sx)
            by = np.floor((y - self.miny) / self.sy)
        inside = (bx >= 0) & (bx < self.nx) & (by >= 0) & (by < self.ny)
        pts = np.nonzero(inside)[0]
        b = (by[pts] * self.nx + bx[pts]).astype(np.int64)
        start = self.offsets[b]
        count = self.offsets[b + 1] - start
        total = int(count.sum())
        if total == 0:
            return out
        pt = np.repeat(pts, count)
        first = np.cumsum(count) - count
        cand = self.pair_cells[np.arange(total) - np.repeat(first, count) + np.repeat(start, count)]
        bb = self.bounds[cand]
        px, py = x[pt], y[pt]
        keep = (px >= bb[:, 0]) & (px <= bb[:, 2]) & (py >= bb[:, 1]) & (py <= bb[:, 3])
        pt, cand, px, py = pt[keep], cand[keep], px[keep], py[keep]
        hit = shapely.intersects_xy(self.geometries[cand], px, py)
        pt, cand = pt[hit], cand[hit]
        if len(pt):
            uniq, at = np.unique(pt, return_index=True)  # pt is ordered; its first hit is the lowest cell
            out[uniq] = cand[at]
        return out

    def assign_xy(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The cell index of each point (lon, lat), −1 where none holds it; a point on an edge shared by two
        cells goes to the first in index order (the lower code when the cells are in code order)."""
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        return np.concatenate([self._chunk(x[i:i + CHUNK], y[i:i + CHUNK]) for i in range(0, len(x), CHUNK)]
                              or [np.zeros(0, dtype=np.int64)])

    def assign(self, x, y) -> list[str | None]:
        """The grid code of each point, None outside every cell."""
        idx = self.assign_xy(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
        return [self.codes[i] if i >= 0 else None for i in idx]

    def locate(self, lon: float, lat: float) -> str | None:
        """The grid code of one point, or None."""
        return self.assign(np.array([lon]), np.array([lat]))[0]


def assign_stream(index: GridIndex, points: Iterable[tuple[float, float]], chunk: int = CHUNK
                  ) -> Iterator[str | None]:
    """Grid codes for a stream of (lon, lat) points, `chunk` at a time (memory bounded by the chunk)."""
    buf: list[tuple[float, float]] = []
    for p in points:
        buf.append(p)
        if len(buf) >= chunk:
            arr = np.asarray(buf, dtype=float)
            yield from index.assign(arr[:, 0], arr[:, 1])
            buf.clear()
    if buf:
        arr = np.asarray(buf, dtype=float)
        yield from index.assign(arr[:, 0], arr[:, 1])
