"""Point → grid assignment in bulk: one STRtree over the cells, Shapely 2's vectorised `within` query, in chunks."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import numpy as np
import shapely

CHUNK = 200_000  # points per query: bounded memory whatever the number of points


class GridIndex:
    """The cells of a grid layer, indexed for point queries (codes[i] is the code of geometries[i])."""

    def __init__(self, codes: Sequence[str], geometries: Sequence[object]) -> None:
        self.codes = np.asarray(list(codes), dtype=object)
        self.geometries = np.asarray(list(geometries), dtype=object)
        shapely.prepare(self.geometries)
        self.tree = shapely.STRtree(self.geometries)

    def __len__(self) -> int:
        return len(self.codes)

    def assign_xy(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The cell index of each point (lon, lat), −1 where none holds it; a point on an edge shared by two
        cells goes to the first in code order (the lower index)."""
        out = np.full(len(x), -1, dtype=np.int64)
        for start in range(0, len(x), CHUNK):
            pts = shapely.points(x[start:start + CHUNK], y[start:start + CHUNK])
            hit_pt, hit_cell = self.tree.query(pts, predicate="intersects")
            if len(hit_pt) == 0:
                continue
            # keep the lowest cell index per point: sort by (point, cell), take the first of each point
            order = np.lexsort((hit_cell, hit_pt))
            hit_pt, hit_cell = hit_pt[order], hit_cell[order]
            first = np.ones(len(hit_pt), dtype=bool)
            first[1:] = hit_pt[1:] != hit_pt[:-1]
            out[start + hit_pt[first]] = hit_cell[first]
        return out

    def assign(self, x: np.ndarray, y: np.ndarray) -> list[str | None]:
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
