"""The audit log API (auditor only): search with keyset pages, one entry, streamed CSV export, chain verification."""

from __future__ import annotations

from datetime import datetime

from fastapi import Depends, Path, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from zhicheng.accounts.deps import require_user
from zhicheng.core import clock
from zhicheng.core.actor import Actor
from zhicheng.core.errors import NotFound
from zhicheng.policy import audit
from zhicheng.policy.audit_query import (
    MAX_LIMIT,
    MAX_SEQ,
    AuditFilter,
    entry_dict,
    export_csv,
    get_entry,
    local_time,
    open_log,
    search,
)
from zhicheng.policy.schemas import AuditEntryOut, AuditPageOut, VerifyOut
from zhicheng.web.deps import get_db
from zhicheng.web.i18n import request_language
from zhicheng.web.routing import APIRouter

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


def audit_filter(
    since: datetime | None = Query(None, description="起始时间（含）；无时区按北京时间 / from (naive: Beijing time)"),
    until: datetime | None = Query(None, description="结束时间（含）/ until, inclusive"),
    actor: str | None = Query(None, max_length=128, description="用户名或用户ID / username or user id"),
    action: str | None = Query(None, max_length=128, description="操作或其前缀 / action or dotted prefix"),
    target_kind: str | None = Query(None, max_length=128),
    target_id: str | None = Query(None, max_length=128),
    outcome: str | None = Query(None, description="ok | denied | failed | error"),
) -> AuditFilter:
    return AuditFilter(since=since, until=until, actor=actor, action=action, target_kind=target_kind,
                       target_id=target_id, outcome=outcome).cleaned()


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.get("", response_model=AuditPageOut)
def list_entries(request: Request, filt: AuditFilter = Depends(audit_filter),
                 before: int | None = Query(None, ge=1, le=MAX_SEQ, description="只看序号小于此值的 / older than this seq"),
                 limit: int = Query(50, ge=1, le=MAX_LIMIT), actor: Actor = Depends(require_user),
                 db: Session = Depends(get_db)) -> dict:
    """查询审计日志（仅审计员）/ search the audit log, newest first (auditor only)."""
    open_log(db, actor=actor, action="read", ip=client_ip(request),
             detail={"filter": filt.as_params(), "before": before, "limit": limit})
    page = search(db, filt=filt, before=before, limit=limit)
    return {"items": [entry_dict(e) for e in page.items], "next_before": page.next_before}


@router.get("/verify", response_model=VerifyOut)
def verify_chain(request: Request, actor: Actor = Depends(require_user), db: Session = Depends(get_db)) -> dict:
    """校验审计链完整性 / verify the SM3 hash chain and name the first bad entry."""
    open_log(db, actor=actor, action="verify", ip=client_ip(request))
    return verify_out(audit.verify(db), request_language(request))


def verify_out(result: audit.VerifyResult, lang: str) -> dict:
    d = result.as_dict()
    d["message"] = result.message(lang)
    return d


@router.get("/export", response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}}, "description": "CSV (UTF-8 with BOM)"}})
def export_entries(request: Request, filt: AuditFilter = Depends(audit_filter),
                   actor: Actor = Depends(require_user), db: Session = Depends(get_db)) -> StreamingResponse:
    """导出审计日志为 CSV（流式）/ export matching entries as CSV, streamed oldest first."""
    open_log(db, actor=actor, action="export", ip=client_ip(request), detail={"filter": filt.as_params()})
    lang = request_language(request)
    factory = request.app.state.sessionmaker

    def stream():
        # its own session: the request's is closed before the body has finished streaming
        with factory() as export_db:
            for chunk in export_csv(export_db, filt=filt, lang=lang):
                yield chunk.encode("utf-8")

    stamp = local_time(clock.now()).replace(":", "").replace(" ", "-")
    return StreamingResponse(stream(), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.csv"'})


@router.get("/{seq}", response_model=AuditEntryOut)
def get_one(request: Request, seq: int = Path(ge=1, le=MAX_SEQ), actor: Actor = Depends(require_user),
            db: Session = Depends(get_db)) -> dict:
    """一条审计记录 / one entry by its chain position."""
    open_log(db, actor=actor, action="read", ip=client_ip(request), detail={"seq": seq})
    entry = get_entry(db, seq)
    if entry is None:
        raise NotFound(f"审计记录 {seq} 不存在", f"audit entry {seq} not found", field="seq")
    return entry_dict(entry)
