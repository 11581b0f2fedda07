"""A small SVG map preview of a spatial dataset's first rows (no tiles, no script): shapes scaled to a box."""

from __future__ import annotations

import json
from typing import Any

WIDTH, HEIGHT, PAD = 480, 320, 12


def _shape(value: Any):
    from shapely.geometry import shape

    if value in (None, ""):
        return None
    try:
        geo = json.loads(value) if isinstance(value, str) else value
        return shape(geo)
    except Exception:  # noqa: BLE001 - a bad geometry is left out of the preview, not an error
        return None


def svg_preview(values: list[Any]) -> dict[str, Any] | None:
    """{"bounds": [minx, miny, maxx, maxy], "points": [(x, y)], "paths": [d]} in SVG coordinates, or None."""
    shapes = [s for s in (_shape(v) for v in values) if s is not None and not s.is_empty]
    if not shapes:
        return None
    minx = min(s.bounds[0] for s in shapes)
    miny = min(s.bounds[1] for s in shapes)
    maxx = max(s.bounds[2] for s in shapes)
    maxy = max(s.bounds[3] for s in shapes)
    span = max(maxx - minx, maxy - miny) or 0.01
    scale = min((WIDTH - 2 * PAD), (HEIGHT - 2 * PAD)) / span

    def xy(x: float, y: float) -> tuple[float, float]:
        return round(PAD + (x - minx) * scale, 1), round(HEIGHT - PAD - (y - miny) * scale, 1)

    points: list[tuple[float, float]] = []
    paths: list[str] = []
    for s in shapes:
        for part in getattr(s, "geoms", [s]):
            kind = part.geom_type
            if kind == "Point":
                points.append(xy(part.x, part.y))
            elif kind == "LineString":
                paths.append("M" + " L".join(f"{a},{b}" for a, b in (xy(*c[:2]) for c in part.coords)))
            elif kind == "Polygon":
                ring = part.exterior.coords
                paths.append("M" + " L".join(f"{a},{b}" for a, b in (xy(*c[:2]) for c in ring)) + " Z")
    from shapely.geometry import mapping

    return {
        "features": [{"type": "Feature", "geometry": mapping(s), "properties": {}} for s in shapes],
        "bounds": [round(v, 6) for v in (minx, miny, maxx, maxy)],
        "points": points,
        "paths": paths,
        "width": WIDTH,
        "height": HEIGHT,
    }
