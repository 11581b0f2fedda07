"""Cutting one community (or street) boundary into unit grid cells of about 10,000 m², numbered west→east,
north→south, in metres of the CGCS2000 Gauss-Krüger zone of the boundary.

With a road layer the boundary is first cut into blocks along the roads (a block up to 1.5 cells stays one cell);
without one, and inside blocks too big for one cell, a square lattice anchored on the zone's whole-metre grid does
the cutting, so neighbouring communities' cells line up. Slivers under a quarter of a cell join the neighbour
they share the longest edge with. A community never gets more than 99 cells (the two-digit sequence): where a
square of the target area would make more, the side grows until 99 are enough (GB/T 30428.1 draws unit grids
in the built-up area, where communities are small; the cell's real area is kept as its attribute).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely

from zhicheng.geo.grids.codes import MAX_SEQUENCE
from zhicheng.geo.grids.metric import gk_epsg, to_lonlat, to_metric

TARGET_M2 = 10_000.0


@dataclass(frozen=True)
class Cell:
    """One generated cell: its boundary in CGCS2000 lon/lat and its area in m²."""

    geometry: object
    area_m2: float


def polygonal(geom):
    """Only the polygonal parts of a geometry (cutting can leave lines and points), or an empty polygon."""
    parts = [p for p in shapely.get_parts(shapely.make_valid(geom)) if p.geom_type == "Polygon" and p.area > 1e-6]
    if not parts:
        return shapely.Polygon()
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def _blocks(area, roads):
    """The boundary cut along the road lines (metres), or the boundary itself."""
    if roads is None or roads.is_empty:
        return [area]
    lines = shapely.intersection(roads, area.buffer(1.0))
    if lines.is_empty:
        return [area]
    faces = shapely.get_parts(shapely.polygonize([shapely.union(area.boundary, lines)]))
    inside = [polygonal(shapely.intersection(f, area)) for f in faces
              if area.contains(f.representative_point())]
    inside = [b for b in inside if not b.is_empty]
    return inside or [area]


def _lattice(block, side: float) -> list:
    """The block cut by the zone-anchored square lattice of `side` metres."""
    minx, miny, maxx, maxy = block.bounds
    x0, y0 = math.floor(minx / side) * side, math.floor(miny / side) * side
    xs, ys = np.meshgrid(np.arange(x0, maxx, side), np.arange(y0, maxy, side))
    boxes = shapely.box(xs.ravel(), ys.ravel(), xs.ravel() + side, ys.ravel() + side)
    shapely.prepare(block)
    boxes = boxes[shapely.intersects(block, boxes)]
    pieces = [polygonal(p) for p in shapely.intersection(boxes, block)]
    return [p for p in pieces if not p.is_empty]


def _merge_slivers(pieces: list, floor: float) -> list:
    """Pieces under `floor` m² join the neighbour they share the longest edge with (when they have one); smallest
    first, each sliver looking at the pieces as first cut (a merged piece only grows, so its edges still hold)."""
    n = len(pieces)
    small = sorted((i for i in range(n) if pieces[i].area < floor), key=lambda i: pieces[i].area)
    if not small or n == 1:
        return list(pieces)
    root = list(range(n))

    def find(i: int) -> int:
        while root[i] != i:
            root[i] = root[root[i]]
            i = root[i]
        return i

    tree = shapely.STRtree(pieces)
    merged = {i: [i] for i in range(n)}
    for i in small:
        if find(i) != i or len(merged[i]) > 1:  # already absorbed, or grown past a sliver
            continue
        best, shared = None, 0.0
        for j in tree.query(pieces[i], predicate="intersects"):
            j = int(j)
            if find(j) == i:
                continue
            length = shapely.intersection(pieces[i].boundary, pieces[j].boundary).length
            if length > shared:
                best, shared = find(j), length
        if best is None:
            continue
        root[i] = best
        merged[best].extend(merged.pop(i))
    out = []
    for r, members in merged.items():
        geom = pieces[r] if len(members) == 1 else polygonal(shapely.union_all([pieces[m] for m in members]))
        out.append(geom)
    return out


def order_key(geom, side: float) -> tuple[int, float]:
    """West→east within north→south rows of height `side` (metres), by a point inside the cell."""
    p = geom.representative_point()
    return (-math.floor(p.y / side), p.x)


def cut(area, *, side: float, roads=None) -> list:
    """`area` (metres) cut into cells of about side² m², ordered west→east, north→south."""
    pieces = []
    for block in _blocks(area, roads):
        if block.area <= 1.5 * side * side:
            pieces.append(block)
        else:
            pieces.extend(_merge_slivers(_lattice(block, side), 0.25 * side * side))
    pieces = _merge_slivers(pieces, 0.1 * side * side)
    return sorted(pieces, key=lambda g: order_key(g, side))


def cells_for(boundary, *, target_m2: float = TARGET_M2, max_cells: int = MAX_SEQUENCE, roads=None) -> list[Cell]:
    """The cells of one community or street boundary (lon/lat), at most `max_cells`, numbered in list order.

    `roads`: the road lines (lon/lat) to cut along, or None."""
    epsg = gk_epsg(boundary.centroid.x)
    # dense vertices first (about 200 m apart): a straight lon/lat edge bends in metres, and the cells' cuts must
    # land on the lon/lat boundary, to within a centimetre
    area = polygonal(to_metric(shapely.segmentize(boundary, 0.002), epsg))
    if area.is_empty:
        return []
    road_m = to_metric(roads, epsg) if roads is not None and not roads.is_empty else None
    side = math.sqrt(target_m2)
    side = max(side, math.sqrt(area.area / (0.8 * max_cells)))  # boundary pieces add about a fifth
    for _ in range(12):
        pieces = cut(area, side=side, roads=road_m)
        if len(pieces) <= max_cells:
            break
        side *= max(1.05, math.sqrt(len(pieces) / max_cells))
    else:  # still too many road blocks: drop the roads
        pieces = cut(area, side=side)
    return [Cell(to_lonlat(p, epsg), float(p.area)) for p in pieces]
