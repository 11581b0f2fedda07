"""Datasets API: upload a file to import (a job), follow the job, list versions, read rows as JSON or CSV."""

from __future__ import annotations

from fastapi import Depends, File, Form, Query, Request, UploadFile
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, StreamingResponse
from sqlalchemy.orm import Session

from zhicheng.accounts.deps import csrf_protect, require_user
from zhicheng.catalog.datasets import column_header, headers, service
from zhicheng.catalog.datasets.geo_readers import GeoOptions
from zhicheng.catalog.datasets.rowquery import writers
from zhicheng.catalog.datasets.schemas import ImportPreviewOut, JobOut, RowsOut, VersionOut
from zhicheng.catalog.datasets.uploads import limit_upload, save_upload
from zhicheng.core.actor import Actor
from zhicheng.core.errors import AppError
from zhicheng.web.deps import get_db
from zhicheng.web.i18n import request_language
from zhicheng.web.routing import APIRouter

router = APIRouter(prefix="/api/v1", tags=["datasets 数据集"])


@router.post("/catalog/resources/{resource_id}/imports", status_code=202, response_model=JobOut,
             dependencies=[Depends(limit_upload), Depends(csrf_protect)])
def create_import(request: Request, resource_id: int, file: UploadFile = File(...),
                  sheet: str | None = Form(None),
                  header_row: int | None = Form(None, ge=1, description="表头所在行（默认自动识别）/ the header's "
                                                "line or sheet row (default: found among the first rows)"),
                  mapping: str | None = Form(None, description="列对应关系 JSON：{\"信息项标识\": \"文件列名\" 或列号或 "
                                             "null} / JSON {\"item\": \"file column\" or its number or null}"),
                  crs: str | None = Form(None, max_length=4000, description="图层：源坐标系（默认读自文件）/ layer: "
                                         "the source CRS (default: the file's own), e.g. EPSG:4547, GCJ02"),
                  lon_column: str | None = Form(None, max_length=200, description="经度列 / longitude column (CSV/XLSX)"),
                  lat_column: str | None = Form(None, max_length=200, description="纬度列 / latitude column (CSV/XLSX)"),
                  wkt_column: str | None = Form(None, max_length=200, description="WKT 列 / WKT column (CSV/XLSX)"),
                  layer: str | None = Form(None, max_length=200, description="图层名（多图层文件）/ layer name"),
                  invalid_geometry: str | None = Form(None, description="无效几何：refuse（拒绝，默认）或 repair（修复）"
                                                      " / invalid geometries: refuse (default) or repair"),
                  db: Session = Depends(get_db), actor: Actor = Depends(require_user)) -> JSONResponse:
    """上传文件并开始导入（返回导入任务）/ upload a file and start importing it (returns the job)."""
    settings = request.app.state.settings
    service.authorize_import(db, actor=actor, resource_id=resource_id)
    columns = headers.parse_mapping(mapping)
    geo = GeoOptions.of(crs=crs, lon_column=lon_column, lat_column=lat_column, wkt_column=wkt_column, layer=layer,
                        invalid_geometry=invalid_geometry)
    path, filename = save_upload(file, settings)
    if header_row is not None or columns is not None:  # a choice that does not fit the file is a 422 now
        try:
            headers.preview_file(db, actor=actor, resource_id=resource_id, path=path, filename=filename,
                                 sheet=sheet or None, header_row=header_row, mapping=columns)
        except AppError:
            path.unlink(missing_ok=True)
            raise
    job = service.start_import_job(db, actor=actor, resource_id=resource_id, path=path, filename=filename,
                                   factory=request.app.state.sessionmaker, sheet=sheet or None,
                                   max_upload_mb=settings.max_upload_mb, header_row=header_row, mapping=columns,
                                   geo=geo)
    body = JobOut.of(job, request_language(request))
    return JSONResponse(jsonable_encoder(body), status_code=202,
                        headers={"Location": f"/api/v1/imports/{job.id}"})


@router.post("/catalog/resources/{resource_id}/imports/preview", response_model=ImportPreviewOut,
             dependencies=[Depends(limit_upload), Depends(csrf_protect)])
def preview_import(request: Request, resource_id: int, file: UploadFile = File(...),
                   sheet: str | None = Form(None), header_row: int | None = Form(None, ge=1),
                   db: Session = Depends(get_db), actor: Actor = Depends(require_user)) -> ImportPreviewOut:
    """预览文件：找到的表头行、各列对应的信息项、前几行（不导入）/ preview a file without importing it: the header
    row found, the data item each column feeds, the first rows."""
    service.authorize_import(db, actor=actor, resource_id=resource_id)
    path, filename = save_upload(file, request.app.state.settings)
    try:
        return ImportPreviewOut(**headers.preview_file(db, actor=actor, resource_id=resource_id, path=path,
                                                       filename=filename, sheet=sheet or None,
                                                       header_row=header_row))
    finally:
        path.unlink(missing_ok=True)


@router.get("/imports/{job_id}", response_model=JobOut)
def read_import(request: Request, job_id: str, db: Session = Depends(get_db),
                actor: Actor = Depends(require_user)) -> JobOut:
    """导入任务的进度和错误报告 / an import job's progress and error report."""
    return JobOut.of(service.get_job(db, actor=actor, job_id=job_id), request_language(request))


@router.get("/catalog/resources/{resource_id}/versions", response_model=list[VersionOut])
def versions(resource_id: int, db: Session = Depends(get_db),
             actor: Actor = Depends(require_user)) -> list[VersionOut]:
    """资源数据的各个版本（新版在前）/ the versions of a resource's data, newest first."""
    return [VersionOut.model_validate(v) for v in service.list_versions(db, actor=actor, resource_id=resource_id)]


@router.get("/catalog/resources/{resource_id}/versions/{version}/rows", response_model=RowsOut)
def rows(request: Request, resource_id: int, version: int, limit: int = Query(50, ge=1, le=service.MAX_LIMIT),
         offset: int = Query(0, ge=0), format: str = Query("json", pattern="^(json|csv)$"),
         columns: str | None = Query(None, description=column_header.DESCRIPTION + " (format=csv)"),
         db: Session = Depends(get_db), actor: Actor = Depends(require_user)):
    """某一版本的数据行（JSON 分页，或 format=csv 下载全部，表头默认为中文名称）/ rows of a version (JSON page, or
    all as CSV headed by the items' Chinese labels, or identifiers with columns=names)."""
    choice = column_header.check_columns(columns)
    if format == "csv":
        dv, masks = service.open_export(db, actor=actor, resource_id=resource_id, version=version)
        header = column_header.header(dv.columns, choice)
        filename = f"{dv.table_name}.csv"
        return StreamingResponse(writers.csv_chunks(header, service.iter_rows(request.app.state.sessionmaker, dv, masks)),
                                 media_type="text/csv; charset=utf-8",
                                 headers={"Content-Disposition": f'attachment; filename="{filename}"'})
    columns, data = service.read_rows(db, actor=actor, resource_id=resource_id, version=version, limit=limit,
                                      offset=offset)
    dv = service.get_version(db, actor=actor, resource_id=resource_id, version=version)
    return RowsOut(resource_id=resource_id, version=dv.version, row_count=dv.row_count, limit=limit,
                   offset=offset, columns=columns, rows=jsonable_encoder([list(r) for r in data]))


def on_startup(app) -> None:
    """Close import jobs that a previous process left unfinished, and remove the files they (or partial uploads)
    left behind."""
    from zhicheng.catalog.datasets import jobs, uploads

    jobs.recover_interrupted(app.state.sessionmaker)
    uploads.sweep(app.state.settings)
