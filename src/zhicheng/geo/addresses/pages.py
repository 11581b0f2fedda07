"""The address search page `/geo/addresses`: a search box, the answers, a small offline MapLibre map."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session

from zhicheng.accounts.deps import require_user
from zhicheng.core.actor import Actor
from zhicheng.core.errors import AppError
from zhicheng.geo.addresses import service
from zhicheng.web.deps import get_db
from zhicheng.web.i18n import request_language
from zhicheng.web.routing import APIRouter
from zhicheng.web.templating import render

router = APIRouter(include_in_schema=False)


def _map_data(answer, geocoder) -> dict[str, Any]:
    """The point found and the boundary of its district, as GeoJSON for the page's map."""
    import shapely

    features: list[dict[str, Any]] = []
    tree = geocoder.index.trees.get("区县")
    if tree is not None:
        hits = tree[0].query(shapely.Point(answer.lon, answer.lat), predicate="intersects")
        if len(hits):
            boundary = shapely.simplify(tree[0].geometries[int(hits[0])], 0.002)
            features.append({"type": "Feature", "properties": {"role": "district"},
                             "geometry": shapely.geometry.mapping(boundary)})
    features.append({"type": "Feature", "properties": {"role": "point", "label": answer.address},
                     "geometry": {"type": "Point", "coordinates": [answer.lon, answer.lat]}})
    pad = 0.01 if answer.level in ("门牌", "街路巷") else 0.04
    return {"features": features, "bounds": [answer.lon - pad, answer.lat - pad, answer.lon + pad, answer.lat + pad]}


@router.get("/geo/addresses")
def address_search(request: Request, q: str = Query("", max_length=400), layer: str | None = Query(None, max_length=40),
                   db: Session = Depends(get_db), actor: Actor = Depends(require_user)):
    """地址查询页 / the address search page."""
    from zhicheng.catalog import service as catalog

    lang = request_language(request)
    ctx: dict[str, Any] = {"q": q, "answer": None, "error": None, "layer": None, "summary": "", "map": None}
    try:
        if q.strip():
            answer, used = service.geocode(db, actor=actor, q=q, layer=layer)
            geocoder, _ = service.geocoder_for(db, actor=actor, layer=layer)
            ctx.update(answer=answer, map=_map_data(answer, geocoder))
        else:
            _geocoder, used = service.geocoder_for(db, actor=actor, layer=layer)
        ctx["layer"] = used
        ctx["summary"] = catalog.get_resource(db, used.resource_id).summary
    except AppError as exc:
        ctx["error"] = exc.message(lang)
    return render(request, "addresses/search.html", ctx)


def nav_entries(nav) -> None:
    """The address search in the map group (一张图)."""
    nav.register_nav("map", "地址查询", "/geo/addresses", order=30)
