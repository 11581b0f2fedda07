"""The one map of the city (一张图) at /map: MapLibre GL JS (vendored, offline) over the city's own vector tiles, a
layer list with legends, identify through OGC API Features (masked by policy), address search, coordinates in
CGCS2000 and GCJ-02; and the empty glyph ranges that let Chinese labels render with the browser's own fonts."""

from __future__ import annotations

import re

from fastapi import Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from zhicheng.accounts.deps import require_user
from zhicheng.core.actor import Actor
from zhicheng.core.errors import NotFound
from zhicheng.geo.layers import service as layers
from zhicheng.web.deps import get_db
from zhicheng.web.routing import APIRouter
from zhicheng.web.templating import render

router = APIRouter(include_in_schema=False)
GENERATED = "系统生成"
APPROXIMATE = "近似边界"
RANGE = re.compile(r"^\d{1,5}-\d{1,5}\.pbf$")
PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777", "#4b5563"]


def _kind(types: list[str]) -> str:
    """point | line | polygon: how the map draws a layer (its index's geometry types)."""
    joined = " ".join(types or [])
    if "Polygon" in joined:
        return "polygon"
    if "LineString" in joined:
        return "line"
    return "point"


def map_layers(db: Session, actor: Actor, listed: list[dict] | None = None) -> list[dict]:
    """The layers the map lists for `actor` (from `layers.list_layers(..., build_index=True)`, read here unless
    given): id, name, how drawn, colour, extent, generated/approximate notes."""
    out = []
    listed = layers.list_layers(db, actor=actor, build_index=True) if listed is None else listed
    for n, e in enumerate(listed):
        ix = e.get("index")
        summary = e.get("summary") or ""
        out.append({"id": layers.collection_id(e["code"]), "name": e["name"], "version": e["version"],
                    "kind": _kind(list(getattr(ix, "geometry_types", None) or [])),
                    "colour": PALETTE[n % len(PALETTE)], "extent": layers.extent_of(ix),
                    "count": getattr(ix, "feature_count", None), "generated": GENERATED in summary,
                    "approximate": APPROXIMATE in summary})
    return out


@router.get("/map")
def one_map(request: Request, actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    """一张图 / the one map of the city."""
    entries = map_layers(db, actor)
    extents = [e["extent"] for e in entries if e["extent"]]
    bounds = ([min(x[0] for x in extents), min(x[1] for x in extents), max(x[2] for x in extents),
               max(x[3] for x in extents)] if extents else [111.9, 27.85, 114.25, 28.67])  # 长沙市 otherwise
    return render(request, "geo_map/map.html", {
        "layers": entries, "bounds": bounds, "generated": any(e["generated"] for e in entries),
        "approximate": any(e["approximate"] for e in entries), "breadcrumbs": [("一张图", None)]})


@router.get("/geo/map/glyphs/{fontstack}/{name}")
def glyphs(fontstack: str, name: str):
    """An empty glyph range (a valid, empty protobuf): no glyph server is needed, Chinese labels are drawn by the
    browser's own fonts (MapLibre's localIdeographFontFamily); Latin letters and digits in labels are left out."""
    if not RANGE.match(name) or len(fontstack) > 200:
        raise NotFound("字形范围不存在", "no such glyph range", field="range")
    return Response(b"", media_type="application/x-protobuf", headers={"Cache-Control": "public, max-age=86400"})


def nav_entries(nav) -> None:
    """一张图 first in the map group."""
    nav.register_nav("map", "一张图", "/map", order=1)
