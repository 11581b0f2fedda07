"""Exchange API for requests and grants: submit, read, approve, refuse, revoke, inbox, escalate; the sharing KPIs."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Path, Query
from sqlalchemy.orm import Session

from zhicheng.accounts.deps import csrf_protect, require_user
from zhicheng.core.actor import Actor
from zhicheng.core.db import MAX_ID
from zhicheng.exchange import kpis, service
from zhicheng.exchange.schemas import ApproveIn, GrantOut, ReasonIn, RequestIn, RequestOut
from zhicheng.web.deps import get_db
from zhicheng.web.routing import APIRouter

router = APIRouter(prefix="/api/v1/exchange", tags=["exchange requests 共享申请"])


def _out(db: Session, req, events: bool = False) -> dict[str, Any]:
    return service.request_view(db, req, with_events=events)


@router.post("/requests", status_code=201, response_model=RequestOut, dependencies=[Depends(csrf_protect)])
def submit(body: RequestIn, db: Session = Depends(get_db), actor: Actor = Depends(require_user)):
    """申请共享另一部门的数据资源 / request another department's resource."""
    req = service.submit_request(db, actor=actor, **body.model_dump())
    return _out(db, req, True)


@router.get("/requests", response_model=list[RequestOut])
def my_requests(db: Session = Depends(get_db), actor: Actor = Depends(require_user)):
    """本部门的共享申请（我的申请）/ the requests of my department."""
    return [_out(db, r) for r in service.my_requests(db, actor=actor)]


@router.get("/inbox", response_model=list[RequestOut])
def inbox(all: bool = False, db: Session = Depends(get_db), actor: Actor = Depends(require_user)):
    """待本部门审批的申请（含期限；先督办逾期申请）/ requests waiting for my department's answer."""
    return [_out(db, r) for r in service.inbox(db, actor=actor, include_answered=all)]


@router.get("/requests/{request_id}", response_model=RequestOut)
def read_request(request_id: int, db: Session = Depends(get_db), actor: Actor = Depends(require_user)):
    """一项申请及其办理过程 / one request and its timeline."""
    return _out(db, service.get_request(db, actor=actor, request_id=request_id), True)


@router.post("/requests/{request_id}/approve", response_model=GrantOut, dependencies=[Depends(csrf_protect)])
def approve(request_id: int, body: ApproveIn, db: Session = Depends(get_db), actor: Actor = Depends(require_user)):
    """同意（可缩小数据项、行范围、期限）/ approve, possibly narrowing items, rows or period."""
    grant = service.approve(db, actor=actor, request_id=request_id, **body.model_dump())
    return service.grant_view(grant)


@router.post("/requests/{request_id}/refuse", response_model=RequestOut, dependencies=[Depends(csrf_protect)])
def refuse(request_id: int, body: ReasonIn, db: Session = Depends(get_db), actor: Actor = Depends(require_user)):
    """拒绝并说明理由 / refuse, stating the reason."""
    return _out(db, service.refuse(db, actor=actor, request_id=request_id, reason=body.reason), True)


@router.get("/grants", response_model=list[GrantOut])
def grants(db: Session = Depends(get_db), actor: Actor = Depends(require_user)):
    """本部门作为使用方或提供方的授权及其使用情况 / grants of my department, with usage."""
    return [service.grant_view(g) for g in service.list_grants(db, actor=actor)]


@router.get("/grants/{grant_id}", response_model=GrantOut)
def read_grant(grant_id: int, db: Session = Depends(get_db), actor: Actor = Depends(require_user)):
    """一项授权 / one grant."""
    return service.grant_view(service.get_grant(db, actor=actor, grant_id=grant_id))


@router.post("/grants/{grant_id}/revoke", response_model=GrantOut, dependencies=[Depends(csrf_protect)])
def revoke(grant_id: int, body: ReasonIn, db: Session = Depends(get_db), actor: Actor = Depends(require_user)):
    """撤销授权（下一次调用即失效）/ revoke a grant (it stops on the next call)."""
    return service.grant_view(service.revoke_grant(db, actor=actor, grant_id=grant_id, reason=body.reason))


@router.post("/escalations", response_model=list[RequestOut], dependencies=[Depends(csrf_protect)])
def escalate(db: Session = Depends(get_db), actor: Actor = Depends(require_user)):
    """督办逾期未答复的申请（平台管理员）/ escalate overdue requests (platform admin)."""
    return [_out(db, r) for r in service.escalate_overdue(db, actor=actor)]


@router.get("/kpis")
def read_kpis(actor: Actor = Depends(require_user), db: Session = Depends(get_db)) -> dict:
    """共享考核指标 / the sharing KPIs (platform admin or leader)."""
    return kpis.compute(db, actor=actor)


@router.get("/usage/grants/{grant_id}")
def read_grant_usage(grant_id: int = Path(..., ge=1, le=MAX_ID), days: int = Query(30, ge=1, le=kpis.MAX_USAGE_DAYS),
                     actor: Actor = Depends(require_user), db: Session = Depends(get_db)) -> dict:
    """授权的使用计量（每日调用次数与行数）/ usage of a grant: calls and rows per day."""
    return kpis.grant_usage(db, actor=actor, grant_id=grant_id, days=days)
