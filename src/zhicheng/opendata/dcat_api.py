"""DCAT-AP 3 endpoints at the paths ckanext-dcat uses: /catalog.{jsonld,ttl,rdf} (?page=) and
/dataset/{id}.{jsonld,ttl,rdf}; /dataset/{id} chooses by the Accept header (/catalog itself is the staff
catalog page, so the catalog is only served with its extension)."""

from __future__ import annotations

from fastapi import Depends, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from zhicheng.core.errors import AppError, not_found
from zhicheng.opendata import dcat
from zhicheng.web.deps import get_db
from zhicheng.web.routing import APIRouter

router = APIRouter(tags=["DCAT-AP 目录导出"])
FORMAT = Path(..., pattern="^(jsonld|ttl|rdf|xml)$", description="jsonld | ttl | rdf")


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _respond(data: bytes, media: str) -> Response:
    return Response(data, media_type=f"{media}; charset=utf-8", headers={"Vary": "Accept"})


@router.get("/catalog.{fmt}", summary="DCAT-AP 3 开放目录 / the open catalog as DCAT-AP 3")
def catalog_file(
    request: Request, fmt: str = FORMAT, page: int = Query(1, ge=1, le=100_000), db: Session = Depends(get_db)
) -> Response:
    """每页 100 个数据集，hydra 分页 / 100 datasets a page, hydra paging.

    `curl http://127.0.0.1:8000/catalog.ttl?page=1`"""
    graph = dcat.catalog_graph(db, base=_base(request), settings=request.app.state.settings, page=page)
    return _respond(*dcat.serialise(graph, fmt))


@router.get("/dataset/{ident}.{fmt}", summary="DCAT-AP 3 数据集 / one dataset as DCAT-AP 3")
def dataset_file(
    request: Request, ident: str = Path(..., max_length=100), fmt: str = FORMAT, db: Session = Depends(get_db)
) -> Response:
    """`curl http://127.0.0.1:8000/dataset/12.jsonld`"""
    graph = dcat.dataset_graph(db, ident, base=_base(request), settings=request.app.state.settings)
    return _respond(*dcat.serialise(graph, fmt))


def _not_acceptable() -> AppError:
    return AppError(
        "请在 Accept 中请求 text/turtle、application/ld+json 或 application/rdf+xml",
        "ask for text/turtle, application/ld+json or application/rdf+xml in Accept",
        code="not_acceptable",
        status=406,
    )


@router.get("/dataset/{ident}", summary="DCAT-AP 3 数据集（内容协商）/ one dataset, by content negotiation")
def dataset_negotiated(
    request: Request, ident: str = Path(..., max_length=100), db: Session = Depends(get_db)
) -> Response:
    fmt = dcat.negotiate(request.headers.get("accept"))
    if fmt is None:
        if "text/html" in request.headers.get("accept", ""):
            from zhicheng.opendata import ckan

            try:
                _res, doc = ckan.find_package(db, ident)
            except AppError:
                raise not_found("数据集", "dataset", ident[:80]) from None
            return RedirectResponse(f"/open/datasets/{doc['id']}", status_code=303)
        raise _not_acceptable()
    return dataset_file(request, ident=ident, fmt=fmt, db=db)
