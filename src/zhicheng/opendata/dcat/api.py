"""DCAT-AP 3 endpoints at the paths ckanext-dcat uses: /catalog.{jsonld,ttl,rdf} (page, page_size,
modified_since) and /dataset/{id}.{jsonld,ttl,rdf}; the catalog's own IRI /dcat/catalog and /dataset/{id} choose by
the Accept header (`web.negotiation`): a browser gets the portal's page, an RDF client its format. /catalog itself
stays the staff catalog page."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from fastapi import Depends, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from zhicheng.core.errors import AppError, Invalid, not_found
from zhicheng.opendata.dcat import service as dcat
from zhicheng.web.deps import get_db
from zhicheng.web.negotiation import best_match
from zhicheng.web.routing import APIRouter

router = APIRouter(tags=["DCAT-AP 目录导出"])
FORMAT = Path(..., pattern="^(jsonld|ttl|rdf|xml)$", description="jsonld | ttl | rdf")
RDF_MEDIA = ["text/turtle", "application/ld+json", "application/rdf+xml"]
ALSO = ["application/x-turtle", "application/json", "application/xml"]  # names some clients use for the same
PAGE = Query(1, ge=1, le=100_000, description="页码 / page")
PAGE_SIZE = Query(
    dcat.PAGE_SIZE, ge=1, description=f"每页数据集数（上限 {dcat.MAX_PAGE_SIZE}）/ datasets a page (capped)"
)
SINCE = Query(
    None,
    max_length=40,
    description="只列出此时间后变更的数据集（ISO 8601）/ only datasets changed since then (ckanext-dcat)",
)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _respond(data: bytes, media: str) -> Response:
    return Response(data, media_type=f"{media}; charset=utf-8", headers={"Vary": "Accept"})


def _since(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(
            "modified_since 须为 ISO 8601 时间，如 2026-01-01 或 2026-01-01T08:00:00+08:00",
            "modified_since must be an ISO 8601 time, e.g. 2026-01-01 or 2026-01-01T08:00:00+08:00",
            field="modified_since",
        ) from None


def _catalog(request: Request, db: Session, fmt: str, page: int, page_size: int, since: str | None) -> Response:
    base = _base(request)
    extra: dict[str, object] = {"page_size": min(page_size, dcat.MAX_PAGE_SIZE)}
    if since:
        extra["modified_since"] = since

    def link(n: int) -> str:  # the same document (format, page size, filter) at page n
        return f"{base}/catalog.{fmt}?{urlencode({'page': n, **extra})}"

    graph = dcat.catalog_graph(
        db,
        base=base,
        settings=request.app.state.settings,
        page=page,
        page_size=page_size,
        modified_since=_since(since),
        link=link,
    )
    return _respond(*dcat.serialise(graph, fmt))


@router.get("/catalog.{fmt}", summary="DCAT-AP 3 开放目录 / the open catalog as DCAT-AP 3")
def catalog_file(
    request: Request,
    fmt: str = FORMAT,
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
    modified_since: str | None = SINCE,
    db: Session = Depends(get_db),
) -> Response:
    """每页 page_size 个数据集（默认 100，上限 1000），hydra 分页链接指向同一格式 / page_size datasets a page
    (100 by default, capped at 1000); hydra paging links point to the same format.

    `curl 'http://127.0.0.1:8000/catalog.ttl?page=1&page_size=50&modified_since=2026-01-01'`"""
    return _catalog(request, db, "rdf" if fmt == "xml" else fmt, page, page_size, modified_since)


def _format(request: Request, html_first: bool) -> str | None:
    """"html", an RDF format, or None (406) for the request's Accept header."""
    offered = ["text/html", *RDF_MEDIA, *ALSO] if html_first else [*RDF_MEDIA, "text/html", *ALSO]
    media = best_match(request.headers.get("accept"), offered)
    return None if media is None else "html" if media == "text/html" else dcat.MEDIA_TYPES[media]


def _not_acceptable() -> AppError:
    return AppError(
        "请在 Accept 中请求 text/html、text/turtle、application/ld+json 或 application/rdf+xml",
        "ask for text/html, text/turtle, application/ld+json or application/rdf+xml in Accept",
        code="not_acceptable",
        status=406,
    )


@router.get(dcat.CATALOG_PATH, summary="DCAT-AP 3 开放目录（内容协商）/ the open catalog, by content negotiation")
def catalog_negotiated(
    request: Request,
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
    modified_since: str | None = SINCE,
    db: Session = Depends(get_db),
) -> Response:
    """目录的 IRI：RDF 客户端（及 */*）得 Turtle 等，浏览器转到开放目录页 / the catalog's IRI: RDF clients (and
    */*) get Turtle or the format they ask for, a browser the portal's dataset list."""
    fmt = _format(request, html_first=False)
    if fmt is None:
        raise _not_acceptable()
    if fmt == "html":
        return RedirectResponse("/open/datasets", status_code=303, headers={"Vary": "Accept"})
    return _catalog(request, db, fmt, page, page_size, modified_since)


@router.get("/dataset/{ident}.{fmt}", summary="DCAT-AP 3 数据集 / one dataset as DCAT-AP 3")
def dataset_file(
    request: Request, ident: str = Path(..., max_length=100), fmt: str = FORMAT, db: Session = Depends(get_db)
) -> Response:
    """`curl http://127.0.0.1:8000/dataset/12.jsonld`"""
    graph = dcat.dataset_graph(db, ident, base=_base(request), settings=request.app.state.settings)
    return _respond(*dcat.serialise(graph, fmt))


@router.get("/dataset/{ident}", summary="DCAT-AP 3 数据集（内容协商）/ one dataset, by content negotiation")
def dataset_negotiated(
    request: Request, ident: str = Path(..., max_length=100), db: Session = Depends(get_db)
) -> Response:
    """浏览器（及 */*、无 Accept）转到数据集页面，RDF 客户端得其格式 / a browser (and */*, or no Accept) is sent to
    the dataset's page, an RDF client gets its format."""
    fmt = _format(request, html_first=True)
    if fmt is None:
        raise _not_acceptable()
    if fmt == "html":
        from zhicheng.opendata.ckan import service as ckan

        try:
            _res, doc = ckan.find_package(db, ident)
        except AppError:
            raise not_found("数据集", "dataset", ident[:80]) from None
        return RedirectResponse(f"/open/datasets/{doc['id']}", status_code=303, headers={"Vary": "Accept"})
    return dataset_file(request, ident=ident, fmt=fmt, db=db)
