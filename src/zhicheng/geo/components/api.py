"""HTTP API of city components under /api/v1/geo/components: the class table, code checks, inventory import and
bulk grid assignment."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import Depends, File, Query, Request, UploadFile
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from zhicheng.accounts.deps import csrf_protect, require_user
from zhicheng.catalog.datasets.uploads import copy_upload, limit_upload
from zhicheng.core.actor import Actor
from zhicheng.core.errors import Invalid
from zhicheng.geo.components import codes, service
from zhicheng.geo.components.classes import STATUSES, default_table
from zhicheng.geo.grids import service as grids
from zhicheng.web.deps import get_db
from zhicheng.web.routing import APIRouter

router = APIRouter(prefix="/api/v1/geo/components", tags=["geo 部件"])
SUFFIXES = (".csv", ".geojson", ".json", ".gpkg", ".zip")


class AssignRequest(BaseModel):
    """The grid layer (public code) whose cells the components are assigned to."""

    grids: str = Field(..., max_length=64)


def _layer(db: Session, code: str, field: str = "layer"):
    return grids.any_layer(db, code, field=field)


@router.get("/classes")
def classes() -> dict:
    """部件分类表（大类、小类）/ the component class table and the statuses."""
    return {"statuses": list(STATUSES),
            "classes": [{"code": c.code, "class_code": c.class_code, "class_name": c.class_name,
                         "subclass_code": c.subclass_code, "subclass_name": c.subclass_name, "source": c.source}
                        for c in default_table()]}


@router.get("/codes/{code}")
def check_code(code: str) -> dict:
    """检查部件编码 / check a 16-digit component code: its county, class, subclass and sequence."""
    found = codes.parse(code, field="code")
    return {"code": str(found), "county": found.county, "class_code": found.cls.class_code,
            "class_name": found.cls.class_name, "subclass_code": found.cls.subclass_code,
            "subclass_name": found.cls.subclass_name, "sequence": found.sequence}


@router.post("/{layer}/assign", dependencies=[Depends(csrf_protect)])
def assign(layer: str, body: AssignRequest, db: Session = Depends(get_db), actor: Actor = Depends(require_user)) -> dict:
    """部件批量落格 / give every component of the layer its unit grid (a new version)."""
    res = _layer(db, layer)
    grid_res = grids.layer_resource(db, body.grids)
    index = grids.grid_index(db, actor=actor, resource_id=grid_res.id)
    return service.assign_layer(db, actor=actor, resource_id=res.id, grids=index)


@router.post("/{layer}/import", dependencies=[Depends(limit_upload), Depends(csrf_protect)])
def import_inventory(request: Request, layer: str, file: UploadFile = File(...),
                     grids_layer: str | None = Query(None, alias="grids", max_length=64),
                     db: Session = Depends(get_db), actor: Actor = Depends(require_user)) -> dict:
    """导入部件普查清单 / import a component inventory (CSV with WKT or lon/lat, GeoJSON, GeoPackage)."""
    res = _layer(db, layer)
    suffix = Path((file.filename or "").replace("\\", "/")).suffix.lower()
    if suffix not in SUFFIXES:
        raise Invalid(f"部件文件须为 {'、'.join(SUFFIXES)}", f"an inventory is one of {', '.join(SUFFIXES)}",
                      field="file")
    index = None
    if grids_layer:
        grid_res = grids.layer_resource(db, grids_layer)
        index = grids.grid_index(db, actor=actor, resource_id=grid_res.id)
    with tempfile.TemporaryDirectory(prefix="zhicheng-components-") as tmp:
        path = Path(tmp) / f"inventory{suffix}"
        copy_upload(file, path, request.app.state.settings)
        return service.import_inventory(db, actor=actor, resource_id=res.id, path=path, grids=index)
