"""Geocoding API: `/api/v1/geo/geocode` (text → point), `/api/v1/geo/reverse` (point → places), batches."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from zhicheng.accounts.deps import require_user
from zhicheng.core.actor import Actor
from zhicheng.geo.addresses import service
from zhicheng.geo.addresses.service import AddressLayer
from zhicheng.web.deps import get_db
from zhicheng.web.routing import APIRouter

router = APIRouter(prefix="/api/v1/geo", tags=["geo 地名地址"])


class BatchIn(BaseModel):
    """Texts to geocode in one call."""

    addresses: list[str] = Field(..., description=f"地址文本，最多 {service.MAX_BATCH} 条 / address texts, at most "
                                                  f"{service.MAX_BATCH}")
    layer: str | None = Field(None, description="地址图层的资源代码（默认：标准地址）/ the address layer's resource code")


def _layer(layer: AddressLayer) -> dict[str, Any]:
    return {"code": layer.code, "name": layer.name, "version": layer.version, "crs": "EPSG:4490"}


@router.get("/geocode")
def geocode(q: str = Query("", max_length=400, description="地址文本 / address text, e.g. 岳麓区麓山南路932号附近"),
            layer: str | None = Query(None, max_length=40, description="地址图层的资源代码 / address layer code"),
            db: Session = Depends(get_db), actor: Actor = Depends(require_user)) -> dict[str, Any]:
    """地址解析：文本 → 坐标（CGCS2000）、匹配级别（门牌 / 街路巷 / 社区 / 街道 / 区县）、得分与行政区划代码 /
    geocode a free-text Chinese address: point, level matched, score and admin codes."""
    answer, used = service.geocode(db, actor=actor, q=q, layer=layer)
    return {"result": answer.as_dict(), "layer": _layer(used)}


@router.post("/geocode/batch")
def geocode_batch(body: BatchIn, db: Session = Depends(get_db),
                  actor: Actor = Depends(require_user)) -> dict[str, Any]:
    """批量地址解析（每条一个结果，未匹配的给出原因）/ geocode up to 1,000 texts; one result per text."""
    answers, used = service.geocode_batch(db, actor=actor, texts=body.addresses, layer=body.layer)
    levels: dict[str, int] = {}
    for a in answers:
        levels[a.level or "未匹配"] = levels.get(a.level or "未匹配", 0) + 1
    return {"results": [a.as_dict() for a in answers], "levels": levels, "layer": _layer(used)}


@router.get("/reverse")
def reverse(lon: float = Query(..., description="经度（CGCS2000）/ longitude"),
            lat: float = Query(..., description="纬度（CGCS2000）/ latitude"),
            layer: str | None = Query(None, max_length=40, description="地址图层的资源代码 / address layer code"),
            grid_layer: str | None = Query(None, max_length=100, description="网格图层（可选）/ a unit grid layer's id "
                                           "(optional): the cell holding the point"),
            db: Session = Depends(get_db), actor: Actor = Depends(require_user)) -> dict[str, Any]:
    """逆地理编码：坐标 → 区县、街道、社区、网格与最近的地址 / reverse geocoding: point → district, street,
    community, grid and nearest address."""
    out, used = service.reverse_geocode(db, actor=actor, lon=lon, lat=lat, layer=layer, grid_layer=grid_layer)
    return {"result": out, "layer": _layer(used)}
