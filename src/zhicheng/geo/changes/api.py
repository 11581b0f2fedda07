"""HTTP API of change extraction: /api/v1/geo/layers/{code}/changes?from=&to=&threshold= as a JSON report or a
GeoJSON layer of the changes."""

from __future__ import annotations

from typing import Literal

import orjson
from fastapi import Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from zhicheng.accounts.deps import current_actor
from zhicheng.core.actor import Actor
from zhicheng.geo.changes import service
from zhicheng.geo.layers.service import code_of
from zhicheng.web.deps import get_db
from zhicheng.web.routing import APIRouter

router = APIRouter(prefix="/api/v1/geo/layers", tags=["geo 变化提取"])
# version numbers are 32-bit integers in the database: a larger one is bad input, not a PostgreSQL overflow (500)
MAX_VERSION = 2**31 - 1


@router.get("/{code}/changes")
def changes(request: Request, code: str, from_: int = Query(..., alias="from", ge=1, le=MAX_VERSION),
            to: int = Query(..., ge=1, le=MAX_VERSION), threshold: float = Query(1.0, ge=0, le=service.MAX_THRESHOLD),
            id_item: str | None = Query(None, max_length=63),
            format: Literal["json", "geojson"] = Query("json"),  # noqa: A002 - the public parameter name
            db: Session = Depends(get_db), actor: Actor = Depends(current_actor)) -> Response:
    """两版之间的变化（新增、删除、属性变化、位移）/ the changes between two versions of a layer."""
    ip = request.client.host if request.client else None
    report = service.extract(db, actor=actor, request=request, code=code_of(code), from_version=from_,
                             to_version=to, threshold=threshold, id_item=id_item, ip=ip)
    if format == "geojson":
        return Response(orjson.dumps(service.as_geojson(report)), media_type="application/geo+json")
    return Response(orjson.dumps(service.as_report(report)), media_type="application/json")
