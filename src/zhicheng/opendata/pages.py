"""Public pages of the open-data portal under /open: home, search with facets, a dataset with its preview,
map and downloads, and the statistics page. Account, interaction and staff pages are included from their
own modules. Nothing public needs a login."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import Depends, Path, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from zhicheng.catalog import page_forms, search
from zhicheng.catalog.datasets import column_header
from zhicheng.catalog.datasets import service as datasets
from zhicheng.core.errors import AppError, Forbidden, Invalid, NotFound, Unauthorized
from zhicheng.opendata import access, downloads, geo, service
from zhicheng.opendata.ckan import service as ckan
from zhicheng.opendata.deps import page_csrf_token, portal_session
from zhicheng.opendata.interaction import service as interaction
from zhicheng.opendata.models import Application
from zhicheng.opendata.stats import service as stats
from zhicheng.web.deps import get_db
from zhicheng.web.i18n import request_language
from zhicheng.web.routing import APIRouter
from zhicheng.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 20
ResourceId = Annotated[int, Path(ge=1, le=2_147_483_647, description="资源编号 / resource id")]
# facet -> title shown on the portal (the catalog's own facets, less its staff-only ones)
FACETS = {
    "department": "数据提供方",
    "catalog_class": "主题分类",
    "format": "资源格式",
    "update_cycle": "更新周期",
    "open_type": "开放属性",
}


def portal_render(
    request: Request, db: Session, name: str, ctx: dict[str, Any] | None = None, status_code: int = 200
):
    """Render a portal page: the portal user, their CSRF token and the portal's sub-navigation are there."""
    found = portal_session(request, db)
    base = {
        "portal_user": found[0] if found else None,
        "csrf_token": page_csrf_token(request, db),
        "portal_path": request.url.path,
    }
    base.update(ctx or {})
    return render(request, name, base, status_code=status_code)


def _chosen(request: Request) -> dict[str, list[str]]:
    chosen: dict[str, list[str]] = {}
    for name in FACETS:
        values = [v.strip() for v in request.query_params.getlist(name) if v.strip()][:20]
        if values:
            chosen[name] = values
    return chosen


def open_search(
    db: Session, *, q: str | None, chosen: dict[str, list[str]], page: int = 1, size: int = PAGE_SIZE
) -> search.SearchResult:
    """Catalog search over the live published, open resources (Chinese segmentation and facets)."""
    filters: dict[str, list[Any]] = {k: list(v) for k, v in chosen.items()}
    wanted = filters.get("open_type") or list(access.OPEN_TYPES)
    if any(v not in access.OPEN_TYPES for v in wanted):
        raise Invalid(
            "开放属性只能是无条件开放或有条件开放",
            "the open attribute must be unconditional or conditional",
            field="open_type",
        )
    filters["open_type"] = wanted
    if q and len(q) > search.MAX_QUERY:
        raise Invalid(
            f"关键词不超过 {search.MAX_QUERY} 个字", f"at most {search.MAX_QUERY} characters", field="q"
        )
    return search.search(
        db, actor=access.portal_actor(), q=(q or "").strip() or None, filters=filters, page=page, size=size
    )


def _facets(result: search.SearchResult, chosen: dict[str, list[str]], lang: str) -> list[dict[str, Any]]:
    groups = []
    for group in page_forms.facet_groups(result.facets, chosen, lang):
        if group["name"] not in FACETS:
            continue
        if group["name"] == "open_type":
            group["values"] = [v for v in group["values"] if v["value"] in access.OPEN_TYPES]
        group["title"] = FACETS[group["name"]]
        groups.append(group)
    order = list(FACETS)
    return sorted(groups, key=lambda g: order.index(g["name"]))


def _card(doc: dict[str, Any], lang: str) -> dict[str, Any]:
    card = page_forms.card(doc, lang)
    card["open_type"] = doc.get("open_type")
    card["formats"] = ckan.formats_of(doc)  # what is served (none without data), not the declared formats
    return card


@router.get("/open")
def home(request: Request, db: Session = Depends(get_db)):
    """The portal's front page: counts, newest and most used datasets, the KPIs."""
    lang = request_language(request)
    newest = open_search(db, q=None, chosen={}, size=6)
    kpis = stats.kpis(db)
    return portal_render(
        request,
        db,
        "opendata/home.html",
        {
            "total": newest.total,
            "newest": [_card(d, lang) for d in ckan.with_data(db, newest.items)],
            "kpis": kpis,
            "totals": stats.totals(db),
            "most_used": stats.by_resource(db, days=30, limit=6),
            "facets": _facets(newest, {}, lang),
            "breadcrumbs": [("开放数据", None)],
        },
    )


@router.get("/open/datasets")
def datasets_search(
    request: Request,
    q: str | None = Query(None, max_length=200),
    page: int = Query(1, ge=1, le=100_000),
    db: Session = Depends(get_db),
):
    """Search the open data: keywords (Chinese word segmentation), facets, result cards, pages."""
    lang = request_language(request)
    chosen = _chosen(request)
    result = open_search(db, q=q, chosen=chosen, page=page)
    params = [(k, v) for k, vs in chosen.items() for v in vs] + ([("q", q)] if q else [])

    def page_url(n: int) -> str:
        return "/open/datasets?" + urlencode(params + [("page", n)])

    return portal_render(
        request,
        db,
        "opendata/search.html",
        {
            "q": q,
            "results": [_card(d, lang) for d in ckan.with_data(db, result.items)],
            "total": result.total,
            "page": page,
            "size": PAGE_SIZE,
            "page_url": page_url,
            "filtered": bool(chosen or q),
            "facets": _facets(result, chosen, lang),
            "breadcrumbs": [("开放数据", "/open"), ("数据目录", None)],
        },
    )


def _may_read(
    db: Session, request: Request, doc: dict[str, Any]
) -> tuple[access.OpenAccess | None, str | None]:
    """(access for a preview, or None with why not: "login" | "apply" | "pending" | "limit")."""
    try:
        return access.check_open_access(db, request, doc["id"], kind="view"), None
    except Unauthorized:
        return None, "login"
    except Forbidden:
        found = portal_session(request, db)
        if found:
            from sqlalchemy import select

            pending = db.scalar(
                select(Application.id)
                .where(
                    Application.user_id == found[0].id,
                    Application.resource_id == doc["id"],
                    Application.state == "pending",
                )
                .limit(1)
            )
            if pending:
                return None, "pending"
        return None, "apply"
    except AppError as exc:
        if exc.status == 429:
            return None, "limit"
        raise


@router.get("/open/datasets/{resource_id}")
def dataset_page(resource_id: ResourceId, request: Request, columns: str | None = Query(None),
                 db: Session = Depends(get_db)):
    """One open dataset: metadata, data items explained, a masked preview, a map for spatial data, downloads
    (the header chosen with `columns=labels|names`), rating and comments; for 有条件开放 data, how to apply."""
    lang = request_language(request)
    header_choice = column_header.check_columns(columns, default="") if columns else ""
    doc = service.open_document(db, resource_id)
    granted, why_not = _may_read(db, request, doc)
    preview, svg, version = None, None, None
    if granted is not None:
        try:
            columns, rows = datasets.read_rows(db, actor=granted.actor, resource_id=resource_id, limit=20)
            version = datasets.get_version(db, actor=granted.actor, resource_id=resource_id)
            labels = {c.get("name"): c.get("label") for c in (version.columns or []) if isinstance(c, dict)}
            preview = {
                "columns": columns,
                "rows": [[downloads.plain(v) for v in r] for r in rows],
                "labels": labels,
            }
            geom = next((i for i, c in enumerate(version.columns or []) if c.get("type") == "geometry"), None)
            if geom is not None:
                svg = geo.svg_preview([r[geom] for r in rows])
        except NotFound:
            preview = None
    stats.publish(db, resource_id=resource_id, department_id=doc["department"]["id"], kind="view")
    formats = ckan.formats_of(doc, version)
    served = bool(ckan.latest_imports(db, [resource_id]))
    dept = doc.get("department") or {}
    return portal_render(
        request,
        db,
        "opendata/dataset.html",
        {
            "r": doc,
            "labels": page_forms.labels(doc, lang),
            "items": page_forms.item_rows(doc.get("items") or [], lang),
            "dept_name": (dept.get("name_en") if lang == "en" and dept.get("name_en") else dept.get("name"))
            or "",
            "preview": preview,
            "svg": svg,
            "version": version,
            "granted": granted is not None,
            "why_not": why_not,
            "formats": formats if preview is not None else [],
            "columns": header_choice,
            "usage": stats.totals(db, resource_id=resource_id) if served else None,
            "rating": interaction.rating_summary(db, resource_id),
            "comments": interaction.approved_comments(db, resource_id, limit=50),
            "login_next": "/open/login?next=" + quote(f"/open/datasets/{resource_id}", safe="/"),
            "breadcrumbs": [("开放数据", "/open"), ("数据目录", "/open/datasets"), (doc["name"], None)],
        },
    )


@router.get("/open/datasets/{resource_id}/download.{fmt}")
def download(resource_id: ResourceId, fmt: str, request: Request, columns: str | None = Query(None),
             db: Session = Depends(get_db)):
    """The whole dataset as CSV (UTF-8 with BOM), XLSX, JSON or GeoJSON, streamed; personal fields masked.
    `columns=labels|names`: the items' Chinese labels or identifiers as the header (CSV, XLSX: labels by
    default) or as the keys (JSON, GeoJSON: identifiers by default)."""
    doc = service.open_document(db, resource_id)
    choice = downloads.check_columns(columns, fmt)
    granted = access.check_open_access(db, request, resource_id, kind="download")
    dv, masks = datasets.open_export(db, actor=granted.actor, resource_id=resource_id)
    specs = datasets.specs_of(dv)
    geom = downloads.geo_source(specs)
    fmt = downloads.check_format(fmt, spatial=geom is not None)
    names = column_header.header(specs, choice)
    factory = request.app.state.sessionmaker
    stats.publish(
        db, resource_id=resource_id, department_id=doc["department"]["id"], kind="download", rows=dv.row_count
    )
    rows = datasets.iter_rows(factory, dv, masks)
    if fmt == "csv":
        body = downloads.csv_stream(names, rows)
    elif fmt == "json":
        body = downloads.json_stream(names, rows)
    elif fmt == "geojson":
        body = downloads.geojson_stream(names, rows, geom)
    else:
        path = downloads.xlsx_file(names, rows, doc["name"])
        body = downloads.file_chunks(path)
    filename = f"{doc.get('code') or resource_id}_v{dv.version}.{fmt}"
    label = quote(f"{doc['name']}.{fmt}")
    return StreamingResponse(
        body,
        media_type=downloads.FORMATS[fmt],
        headers={
            "Content-Disposition": f"attachment; filename=\"{filename}\"; filename*=UTF-8''{label}",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/open/stats")
def stats_page(
    request: Request, days: int = Query(30, ge=1, le=stats.MAX_DAYS), db: Session = Depends(get_db)
):
    """Public statistics: views, downloads and API calls over time, per dataset and department; the KPIs."""
    return portal_render(
        request,
        db,
        "opendata/stats.html",
        {
            "days": days,
            "totals": stats.totals(db),
            "daily": stats.daily(db, days=days),
            "datasets": stats.by_resource(db, days=days),
            "departments": stats.by_department(db, days=days),
            "kpis": stats.kpis(db),
            "breadcrumbs": [("开放数据", "/open"), ("统计", None)],
        },
    )


def _include_subpages() -> None:
    from zhicheng.opendata import staff_pages
    from zhicheng.opendata.interaction import pages as interaction_pages
    from zhicheng.opendata.users import pages as account_pages

    for mod in (account_pages, interaction_pages, staff_pages):
        router.include_router(mod.router)


_include_subpages()


def nav_entries(nav) -> None:
    """This domain's entries in the app shell's navigation (`nav` is a web.navigation.Navigation)."""
    nav.register_nav(None, "开放数据", "/open", public=True, order=5)
