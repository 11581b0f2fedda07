"""Delivery API: granted rows as JSON or CSV (keyset pages) and the bulk CSV export."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from zhicheng.accounts.deps import require_user
from zhicheng.catalog.datasets import column_header, fastread
from zhicheng.catalog.datasets.rowquery import writers
from zhicheng.core.actor import Actor
from zhicheng.exchange.delivery import service as delivery
from zhicheng.web.deps import get_db
from zhicheng.web.hooks import after_event
from zhicheng.web.links import with_param
from zhicheng.web.routing import APIRouter

router = APIRouter(prefix="/api/v1/exchange", tags=["exchange delivery 共享交付"])
GRANT_HEADER = "X-Zhicheng-Grant"  # the grant that answered (the newest live one, or the one the caller named)
# documented here, read by delivery.grant_param (the route and its fast lane alike)
GRANT_PARAMETERS = {"parameters": [
    {"name": name, "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1},
     "description": "按哪项授权交付（本部门有多项有效授权时；默认最新的一项）/ the grant to read under (default: the "
                    "newest live one)" + ("" if name == "grant" else "; same as grant")}
    for name in delivery.GRANT_PARAMS]}


def on_startup(app) -> None:
    """Build the masked copy of each newly imported version that a live grant will read (synchronously, in the
    importing thread, like the quality run after an import); without a copy the normal path serves."""
    after_event(
        app,
        "catalog.dataset.imported",
        lambda factory, payload: delivery.build_copy(
            factory, int(payload["resource_id"]), version=int(payload["version"])
        ),
    )


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _page(
    factory: sessionmaker[Session],
    actor: Actor,
    resource_id: int,
    params: list[tuple[str, str]],
    ip: str | None,
) -> tuple[delivery.DeliveredPage, Any]:
    db = factory()
    try:
        return delivery.query_rows(db, actor=actor, resource_id=resource_id, params=params, ip=ip)
    finally:
        db.rollback()
        db.close()


def rows_response(request: Request, page: delivery.DeliveredPage, q: Any) -> Response:
    """The HTTP answer for one delivered page: the body (JSON envelope or CSV) and the grant, masking and next-page
    headers (shared by the route and its fast lane)."""
    headers = {GRANT_HEADER: str(page.grant_id), "X-Grant-Id": str(page.grant_id),
               "X-Masked-Fields": ",".join(page.masked)}
    if page.next:
        headers["X-Next-Cursor"] = page.next
        headers["Link"] = f'<{with_param(request, "after", page.next)}>; rel="next"'
    if q.format == "csv":
        return Response(page.body, media_type="text/csv; charset=utf-8", headers=headers)
    head = {
        "resource_id": page.resource_id,
        "version": page.version,
        "grant_id": page.grant_id,
        "fields": page.fields,
        "masked": page.masked,
        "size": page.size,
        "count": page.count,
        "next": page.next,
    }
    return Response(fastread.envelope(head, page.body), media_type="application/json", headers=headers)


@router.get("/resources/{resource_id}/rows", openapi_extra=GRANT_PARAMETERS)
async def rows(request: Request, resource_id: int) -> Response:
    """按授权查询共享数据（筛选、排序、字段、游标分页，JSON 或 CSV；grant= 指定授权）/ granted rows:
    filter[col][op]=, sort=, fields=, after= (keyset cursor), size= (≤ 1000), format=json|csv, grant= (or
    grant_id=: which of the department's live grants to read under; default the newest); masked as the grant
    says. The answering grant is in the X-Zhicheng-Grant header and the envelope's grant_id. A bearer-token call
    is served by the fast lane (`exchange.delivery.lane`), with the same result."""
    actor = require_user(request)
    # one trip to a worker thread for the whole page (session, grant, rows, audit), the bytes built there once
    page, q = await run_in_threadpool(
        _page,
        request.app.state.sessionmaker,
        actor,
        resource_id,
        request.query_params.multi_items(),
        _client_ip(request),
    )
    return rows_response(request, page, q)


@router.get("/resources/{resource_id}/export", openapi_extra=GRANT_PARAMETERS)
def export(
    request: Request, resource_id: int, columns: str | None = Query(None, description=column_header.DESCRIPTION),
    db: Session = Depends(get_db), actor: Actor = Depends(require_user)
) -> StreamingResponse:
    """按授权批量导出 CSV（含个人信息须提供部门明确同意；grant= 指定授权；表头默认为中文名称）/ bulk CSV export of
    the granted data (personal information needs the provider's explicit approval; grant= names the grant;
    headed by the items' Chinese labels, or identifiers with columns=names)."""
    choice = column_header.check_columns(columns)
    grant_id, _rest = delivery.grant_param(request.query_params.multi_items())
    p = delivery.open_export(db, actor=actor, resource_id=resource_id, ip=_client_ip(request), grant_id=grant_id)
    header = column_header.header([p.specs[n] for n in p.granted], choice)
    filename = f"resource_{resource_id}_v{p.version.version}_grant_{p.grant.id}.csv"
    return StreamingResponse(
        writers.csv_chunks(header, delivery.export_rows(request.app.state.sessionmaker, p)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "X-Grant-Id": str(p.grant.id),
                 GRANT_HEADER: str(p.grant.id)},
    )
