"""HTTP API of thematic statistics: /api/v1/geo/stats?layer=&zones=&measure= as JSON, CSV, XLSX or a
choropleth-ready GeoJSON."""

from __future__ import annotations

from typing import Literal

import orjson
from fastapi import Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from zhicheng.accounts.deps import current_actor
from zhicheng.core.actor import Actor
from zhicheng.geo.layers.service import code_of
from zhicheng.geo.stats import service
from zhicheng.web.deps import get_db
from zhicheng.web.routing import APIRouter

router = APIRouter(prefix="/api/v1/geo/stats", tags=["geo 专题统计"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("")
def stats(request: Request, layer: str = Query(..., max_length=100), zones: str = Query(..., max_length=100),
          measure: str = Query("count", max_length=80),
          format: Literal["json", "csv", "xlsx", "geojson"] = Query("json"),  # noqa: A002 - the public name
          db: Session = Depends(get_db), actor: Actor = Depends(current_actor)) -> Response:
    """专题统计 / a layer's count, sum, area or length per zone."""
    ip = request.client.host if request.client else None
    result = service.compute(db, actor=actor, request=request, layer=code_of(layer), zones=code_of(zones),
                             measure=measure, ip=ip)
    if format == "geojson":
        return Response(orjson.dumps(service.as_geojson(result)), media_type="application/geo+json")
    if format == "csv":
        return Response(service.as_csv(result), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="stats.csv"'})
    if format == "xlsx":
        return Response(service.as_xlsx(result), media_type=XLSX,
                        headers={"Content-Disposition": 'attachment; filename="stats.xlsx"'})
    return Response(orjson.dumps(service.as_json(result)), media_type="application/json")
