"""HTTP API of unit grids under /api/v1/geo/grids: a layer's cells as GeoJSON, generate, import, edit, split,
merge, export and locate; every change a new version of the layer."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import Depends, File, Query, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from zhicheng.accounts.deps import csrf_protect, require_user
from zhicheng.catalog.datasets.uploads import copy_upload, limit_upload
from zhicheng.core.actor import Actor
from zhicheng.core.errors import Invalid, NotFound
from zhicheng.geo.grids import service
from zhicheng.geo.grids.schemas import CellUpdate, GenerateRequest, MergeRequest, SplitRequest
from zhicheng.web.deps import get_db
from zhicheng.web.routing import APIRouter

router = APIRouter(prefix="/api/v1/geo/grids", tags=["geo 网格"])
GRID_SUFFIXES = (".geojson", ".json", ".gpkg", ".zip", ".csv", ".kml")


@router.get("/{layer}")
def layer_summary(layer: str, db: Session = Depends(get_db), actor: Actor = Depends(require_user)) -> dict:
    """网格图层概况 / a grid layer's cells, communities and area."""
    res = service.layer_resource(db, layer)
    return {"layer": service.public_id(res.code), "code": res.code, "name": res.name, **service.summary(db, actor=actor, resource_id=res.id)}


@router.get("/{layer}/cells")
def cells(layer: str, version: int | None = Query(None, ge=1), community: str | None = Query(None, max_length=12),
          db: Session = Depends(get_db), actor: Actor = Depends(require_user)) -> Response:
    """网格（GeoJSON）/ the cells as GeoJSON, optionally of one community (its 12-digit code prefix)."""
    res = service.layer_resource(db, layer)
    found = service.read_cells(db, actor=actor, resource_id=res.id, version=version)
    if community:
        found = [c for c in found if c["grid_code"].startswith(community)]
    import json

    body = json.dumps(service.feature_collection(found), ensure_ascii=False, separators=(",", ":"))
    return Response(body, media_type="application/geo+json")


@router.get("/{layer}/locate")
def locate(layer: str, lon: float = Query(...), lat: float = Query(...), db: Session = Depends(get_db),
           actor: Actor = Depends(require_user)) -> dict:
    """点所在网格 / the cell holding a point (CGCS2000 lon/lat)."""
    res = service.layer_resource(db, layer)
    return {"cell": service.locate(db, actor=actor, resource_id=res.id, lon=lon, lat=lat)}


@router.post("/{layer}/generate", dependencies=[Depends(csrf_protect)])
def generate(layer: str, body: GenerateRequest, db: Session = Depends(get_db),
             actor: Actor = Depends(require_user)) -> dict:
    """按社区（街道）边界生成网格 / generate the grid inside community (street) boundaries."""
    res = service.layer_resource(db, layer)
    if not body.communities and not body.streets:
        raise Invalid("请给出社区或街道边界图层", "give a community or street boundary layer", field="communities")
    def rid(code: str | None, field: str) -> int | None:
        if not code:
            return None
        try:
            return service.any_layer(db, code, field=field).id
        except NotFound:
            raise Invalid(f"图层 {code} 不存在", f"no layer {code}", field=field) from None

    parents = service.parents_from_layers(db, actor=actor, communities=rid(body.communities, "communities"),
                                          streets=rid(body.streets, "streets"),
                                          urban_core_only=body.urban_core_only)
    roads = service.road_lines(db, actor=actor, resource_id=rid(body.roads, "roads")) if body.roads else None
    return service.generate(db, actor=actor, resource_id=res.id, parents=parents, target_m2=body.target_area_m2,
                            roads=roads)


@router.post("/{layer}/import", dependencies=[Depends(limit_upload), Depends(csrf_protect)])
def import_grids(request: Request, layer: str, file: UploadFile = File(...), db: Session = Depends(get_db),
                 actor: Actor = Depends(require_user)) -> dict:
    """导入已有网格（GeoJSON、GeoPackage、Shapefile 压缩包、CSV）/ import a city's existing grid."""
    res = service.layer_resource(db, layer)
    name = Path((file.filename or "").replace("\\", "/")).name
    suffix = Path(name).suffix.lower()
    if suffix not in GRID_SUFFIXES:
        raise Invalid(f"网格文件须为 {'、'.join(GRID_SUFFIXES)}", f"a grid file is one of {', '.join(GRID_SUFFIXES)}",
                      field="file")
    with tempfile.TemporaryDirectory(prefix="zhicheng-grid-import-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        copy_upload(file, path, request.app.state.settings)
        return service.import_grids(db, actor=actor, resource_id=res.id, path=path)


@router.patch("/{layer}/cells/{code}", dependencies=[Depends(csrf_protect)])
def update_cell(layer: str, code: str, body: CellUpdate, db: Session = Depends(get_db),
                actor: Actor = Depends(require_user)) -> dict:
    """修改网格的责任单位、监督员或范围（编码不变）/ edit a cell; its code stays."""
    res = service.layer_resource(db, layer)
    return service.update_cell(db, actor=actor, resource_id=res.id, code=code,
                               changes=body.model_dump(exclude_unset=True))


@router.post("/{layer}/cells/{code}/split", dependencies=[Depends(csrf_protect)])
def split(layer: str, code: str, body: SplitRequest, db: Session = Depends(get_db),
          actor: Actor = Depends(require_user)) -> dict:
    """拆分网格 / split a cell along a line: the first part keeps the code."""
    res = service.layer_resource(db, layer)
    return service.split_cell(db, actor=actor, resource_id=res.id, code=code, line=body.line)


@router.post("/{layer}/merge", dependencies=[Depends(csrf_protect)])
def merge(layer: str, body: MergeRequest, db: Session = Depends(get_db), actor: Actor = Depends(require_user)) -> dict:
    """合并网格 / merge adjacent cells of one community: the lowest code stays."""
    res = service.layer_resource(db, layer)
    return service.merge_cells(db, actor=actor, resource_id=res.id, codes=body.codes)


@router.get("/{layer}/export")
def export(layer: str, format: str = Query("geojson"), version: int | None = Query(None, ge=1),
           db: Session = Depends(get_db), actor: Actor = Depends(require_user)) -> Response:
    """导出网格（GeoJSON、CSV、XLSX）/ export the cells."""
    res = service.layer_resource(db, layer)
    content, media = service.export(db, actor=actor, resource_id=res.id, fmt=format, version=version)
    suffix = {"geojson": "geojson", "csv": "csv", "xlsx": "xlsx"}[format]
    return Response(content, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{service.public_id(res.code)}-grids.{suffix}"'})
