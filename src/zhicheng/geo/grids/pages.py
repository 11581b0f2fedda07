"""Pages of unit grids: /geo/grids lists the grid layers, /geo/grids/{layer} shows one on a MapLibre map (vendored,
offline) with its cells as a table."""

from __future__ import annotations

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session

from zhicheng.accounts.deps import require_user
from zhicheng.catalog import service as catalog
from zhicheng.core.actor import Actor
from zhicheng.geo.grids import service
from zhicheng.web.deps import get_db
from zhicheng.web.routing import APIRouter
from zhicheng.web.templating import render

router = APIRouter(include_in_schema=False)
GENERATED = "系统生成"
TABLE_ROWS = 200


def grid_layers(db: Session, actor: Actor) -> list[dict]:
    """The published grid layers `actor` may see (resources holding the grid items)."""
    out = []
    page = 1
    while page <= 20:
        items, total = catalog.list_resources(db, actor=actor, state="published", page=page, size=100)
        for doc in items:
            names = {s.name for s in catalog.item_specs(db, doc["id"])}
            if all(c in names for c in service.GRID_COLUMNS):
                out.append({"id": service.public_id(doc["code"]), "name": doc["name"], "summary": doc.get("summary"),
                            "generated": GENERATED in (doc.get("summary") or "")})
        if page * 100 >= total:
            break
        page += 1
    return out


@router.get("/geo/grids")
def grids_list(request: Request, actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    """万米单元网格图层列表 / the grid layers."""
    return render(request, "geo_grids/list.html", {"layers": grid_layers(db, actor),
                                                   "breadcrumbs": [("一张图", None), ("单元网格", None)]})


@router.get("/geo/grids/{layer}")
def grid_layer(request: Request, layer: str, community: str | None = Query(None, max_length=12, pattern=r"^\d*$"),
               actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    """一个网格图层：地图与网格表 / one grid layer on the map, with its cells."""
    res = service.layer_resource(db, layer)
    cells = service.read_cells(db, actor=actor, resource_id=res.id)
    cells.sort(key=lambda c: c["grid_code"])
    communities: dict[str, tuple[str, int]] = {}
    for c in cells:
        name, n = communities.get(c["grid_code"][:12], (c.get("community_name") or "", 0))
        communities[c["grid_code"][:12]] = (name, n + 1)
    shown = [c for c in cells if not community or c["grid_code"].startswith(community)]
    total = sum(float(c["area_m2"] or 0) for c in cells)
    doc = catalog.read_resource(db, actor=actor, resource_id=res.id)
    api = f"/api/v1/geo/grids/{service.public_id(res.code)}/cells" + (f"?community={community}" if community else "")
    return render(request, "geo_grids/layer.html", {
        "layer": service.public_id(res.code), "name": res.name, "summary": doc.get("summary") or "",
        "generated": GENERATED in (doc.get("summary") or ""), "cells": shown[:TABLE_ROWS], "shown": len(shown),
        "count": len(cells), "area_km2": round(total / 1e6, 2), "communities": sorted(communities.items()),
        "community": community or "", "api": api,
        "breadcrumbs": [("一张图", None), ("单元网格", "/geo/grids"), (res.name, None)],
    })


def nav_entries(nav) -> None:
    """The map group's entry for unit grids."""
    nav.register_nav("map", "单元网格", "/geo/grids", order=40)
