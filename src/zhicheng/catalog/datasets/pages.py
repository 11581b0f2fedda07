"""Dataset pages: upload a file to import, follow its progress (htmx polling), the report, versions, row preview."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from zhicheng.accounts.deps import csrf_protect, require_user
from zhicheng.catalog import service as catalog
from zhicheng.catalog.datasets import headers, pending, service
from zhicheng.catalog.datasets.geo_readers import GeoOptions, wants_geo
from zhicheng.catalog.datasets.readers import detect_format
from zhicheng.catalog.datasets.uploads import limit_upload, save_upload
from zhicheng.catalog.items import CHECK_NAMES, TYPE_NAMES, ItemCheck, ItemType
from zhicheng.core.actor import Actor
from zhicheng.core.errors import AppError, NotFound
from zhicheng.web.deps import get_db
from zhicheng.web.i18n import request_language
from zhicheng.web.routing import APIRouter
from zhicheng.web.templating import render

router = APIRouter(include_in_schema=False)
PREVIEW_SIZE = 50
STATE_NAMES = {"queued": ("排队中", "Queued"), "running": ("导入中", "Importing"),
               "succeeded": ("导入成功", "Imported"), "failed": ("导入失败", "Failed")}


def _crumbs(resource, *tail: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [("数据目录", "/catalog"), (resource.name, f"/catalog/{resource.id}"), *tail]


def _items(db: Session, resource_id: int, lang: str) -> list[dict[str, Any]]:
    en = lang == "en"
    return [{"name": s.name, "label": s.label, "required": s.required, "length": s.length,
             "type": TYPE_NAMES[ItemType(s.type)][1 if en else 0],
             "check": CHECK_NAMES[ItemCheck(s.check)][1 if en else 0] if s.check in CHECK_NAMES else s.check}
            for s in catalog.item_specs(db, resource_id)]


def _form(request: Request, db: Session, resource, error: str | None = None, status: int = 200):
    from zhicheng.core.crs.registry import SUPPORTED

    lang = request_language(request)
    layer = any(ItemType(s.type) is ItemType.GEOMETRY for s in catalog.item_specs(db, resource.id))
    crs_choices = [(c.key, c.name_en if lang == "en" else c.name_zh) for c in SUPPORTED] if layer else []
    return render(request, "datasets/import.html", {
        "resource": resource, "items": _items(db, resource.id, lang), "error": error, "layer": layer,
        "crs_choices": crs_choices, "breadcrumbs": _crumbs(resource, ("导入数据", None))}, status_code=status)


@router.get("/catalog/{resource_id}/import")
def import_form(resource_id: int, request: Request, actor: Actor = Depends(require_user),
                db: Session = Depends(get_db)):
    resource = service.authorize_import(db, actor=actor, resource_id=resource_id)
    return _form(request, db, resource)


@router.post("/catalog/{resource_id}/import", dependencies=[Depends(limit_upload), Depends(csrf_protect)])
def import_submit(resource_id: int, request: Request, file: UploadFile | None = File(None),
                  sheet: str = Form(""), crs: str = Form(""), lon_column: str = Form(""), lat_column: str = Form(""),
                  wkt_column: str = Form(""), layer: str = Form(""), invalid_geometry: str = Form(""),
                  actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    resource = service.authorize_import(db, actor=actor, resource_id=resource_id)
    settings = request.app.state.settings
    try:
        geo = GeoOptions.of(crs=crs, lon_column=lon_column, lat_column=lat_column, wkt_column=wkt_column,
                            layer=layer, invalid_geometry="repair" if invalid_geometry == "repair" else None)
        path, filename = save_upload(file, settings)
        name = sheet.strip() or None
        as_layer = geo is not None or wants_geo(detect_format(filename), None)  # no column-mapping step
        if not as_layer and not _as_it_is(db, actor, resource.id, path, filename, name):  # the mapping step first
            token = pending.keep(settings, path, actor=actor, resource_id=resource.id, filename=filename, sheet=name)
            return RedirectResponse(f"/catalog/{resource.id}/import/{token}", status_code=303)
        job = service.start_import_job(db, actor=actor, resource_id=resource.id, path=path, filename=filename,
                                       factory=request.app.state.sessionmaker, sheet=name,
                                       max_upload_mb=settings.max_upload_mb, geo=geo)
    except AppError as exc:
        if exc.status == 403:
            raise
        return _form(request, db, resource, exc.message(request_language(request)), status=exc.status)
    return RedirectResponse(f"/catalog/{resource.id}/imports/{job.id}", status_code=303)


def _as_it_is(db: Session, actor: Actor, resource_id: int, path, filename: str, sheet: str | None) -> bool:
    """True when the file can be imported as it is (its first row names the data items); a file that cannot be
    read at all goes to the import too, whose report says why."""
    try:
        return headers.preview_file(db, actor=actor, resource_id=resource_id, path=path, filename=filename,
                                    sheet=sheet)["exact"]
    except AppError as exc:
        if exc.status == 403:
            raise
        return True


def _mapping_page(request: Request, db: Session, resource, token: str, note: dict, preview: dict[str, Any],
                  partial: bool = False, error: str | None = None, status: int = 200):
    selected = {col["item"]: col["index"] for col in preview["columns"] if col["item"]}
    context = {"resource": resource, "token": token, "filename": note["filename"], "preview": preview,
               "selected": selected, "error": error}
    if partial:
        return render(request, "datasets/_mapping.html", context)
    return render(request, "datasets/mapping.html", {
        **context, "breadcrumbs": _crumbs(resource, ("导入数据", f"/catalog/{resource.id}/import"),
                                          ("核对列的对应关系", None))}, status_code=status)


@router.get("/catalog/{resource_id}/import/{token}")
def mapping_form(resource_id: int, token: str, request: Request, header_row: int | None = Query(None, ge=1),
                 partial: bool = False, actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    """The mapping step: the header row (found, or chosen here), each item's file column, the first rows."""
    resource = service.authorize_import(db, actor=actor, resource_id=resource_id)
    path, note = pending.find(request.app.state.settings, token, actor=actor, resource_id=resource.id)
    preview = headers.preview_file(db, actor=actor, resource_id=resource.id, path=path, filename=note["filename"],
                                   sheet=note["sheet"], header_row=header_row)
    return _mapping_page(request, db, resource, token, note, preview, partial=partial)


@router.post("/catalog/{resource_id}/import/{token}", dependencies=[Depends(csrf_protect)])
def mapping_submit(resource_id: int, token: str, request: Request, header_row: int = Form(..., ge=1),
                   map: list[str] = Form([]), actor: Actor = Depends(require_user),  # noqa: A002 - the form's name
                   db: Session = Depends(get_db)):
    """Import the kept upload with the header row and the columns chosen on the mapping step."""
    resource = service.authorize_import(db, actor=actor, resource_id=resource_id)
    settings = request.app.state.settings
    path, note = pending.find(settings, token, actor=actor, resource_id=resource.id)
    mapping = headers.mapping_from_pairs(map) or {}
    try:  # checked here, so that a wrong choice is shown on this page rather than in a failed job
        headers.preview_file(db, actor=actor, resource_id=resource.id, path=path, filename=note["filename"],
                             sheet=note["sheet"], header_row=header_row, mapping=mapping)
        job = service.start_import_job(db, actor=actor, resource_id=resource.id, path=path, filename=note["filename"],
                                       factory=request.app.state.sessionmaker, sheet=note["sheet"],
                                       max_upload_mb=settings.max_upload_mb, header_row=header_row,
                                       mapping=mapping)
    except AppError as exc:
        if exc.status == 403 or not path.exists():
            raise
        preview = headers.preview_file(db, actor=actor, resource_id=resource.id, path=path,
                                       filename=note["filename"], sheet=note["sheet"], header_row=header_row)
        for col in preview["columns"]:  # show the user's choice again, not the proposal
            col["item"] = next((item for item, index in mapping.items() if index == col["index"]), None)
        return _mapping_page(request, db, resource, token, note, preview, error=exc.message(request_language(request)),
                             status=exc.status)
    pending.release(path)
    return RedirectResponse(f"/catalog/{resource.id}/imports/{job.id}", status_code=303)


@router.get("/catalog/{resource_id}/imports/{job_id}")
def import_job(resource_id: int, job_id: str, request: Request, partial: bool = False,
               actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    job = service.get_job(db, actor=actor, job_id=job_id)
    if job.resource_id != resource_id:
        raise NotFound(f"导入任务 {job_id} 不存在", f"import job {job_id} not found")
    lang = request_language(request)
    percent = None
    if job.rows_total_estimate:
        percent = min(100, int(job.rows_read * 100 / job.rows_total_estimate))
    context = {"job": job, "percent": percent, "finished": job.state in ("succeeded", "failed"),
               "state_name": STATE_NAMES.get(job.state, (job.state, job.state))[1 if lang == "en" else 0],
               "message": job.message_en if lang == "en" else job.message_zh}
    if partial:
        return render(request, "datasets/_job.html", context)
    resource = catalog.get_resource(db, resource_id)
    return render(request, "datasets/job.html", {
        **context, "resource": resource, "breadcrumbs": _crumbs(resource, ("导入进度", None))})


@router.get("/catalog/{resource_id}/versions")
def versions_page(resource_id: int, request: Request, actor: Actor = Depends(require_user),
                  db: Session = Depends(get_db)):
    versions = service.list_versions(db, actor=actor, resource_id=resource_id)
    resource = catalog.get_resource(db, resource_id)
    can_import = True
    try:
        service.authorize_import(db, actor=actor, resource_id=resource_id)
    except AppError:
        can_import = False
    return render(request, "datasets/versions.html", {
        "resource": resource, "versions": versions, "can_import": can_import,
        "breadcrumbs": _crumbs(resource, ("数据版本", None))})


@router.get("/catalog/{resource_id}/versions/{version}")
def version_rows(resource_id: int, version: int, request: Request, page: int = Query(1, ge=1, le=10_000_000),
                 actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    offset = (page - 1) * PREVIEW_SIZE
    columns, rows = service.read_rows(db, actor=actor, resource_id=resource_id, version=version,
                                      limit=PREVIEW_SIZE, offset=offset)
    dv = service.get_version(db, actor=actor, resource_id=resource_id, version=version)
    resource = catalog.get_resource(db, resource_id)
    labels = {c["name"]: c["label"] for c in dv.columns}
    pages = max(1, -(-dv.row_count // PREVIEW_SIZE))
    return render(request, "datasets/rows.html", {
        "resource": resource, "dv": dv, "columns": columns, "labels": labels, "rows": rows, "page": page,
        "pages": pages, "offset": offset,
        "breadcrumbs": _crumbs(resource, ("数据版本", f"/catalog/{resource_id}/versions"),
                               (f"v{dv.version}", None))})
