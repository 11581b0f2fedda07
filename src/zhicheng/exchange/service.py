"""Share requests and their answers: submit, approve (narrowing), refuse, revoke, escalate overdue; no HTTP."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from zhicheng.catalog import service as catalog
from zhicheng.core import clock
from zhicheng.core.actor import SYSTEM, Actor
from zhicheng.core.db import get_or_404
from zhicheng.core.errors import Conflict, Forbidden, Invalid
from zhicheng.core.events import bus
from zhicheng.core.workdays import service as workdays
from zhicheng.exchange.conditions import consumer_member, outside_member
from zhicheng.exchange.grants import grant_target, state_of
from zhicheng.exchange.models import Grant, RequestEvent, ShareRequest
from zhicheng.exchange.schemas import (
    check_items,
    check_period,
    check_row_filter,
    narrower_filter,
    refuse_widening,
)
from zhicheng.policy import audit
from zhicheng.policy.rules import (
    ACTION_NAMES,
    KIND_NAMES,
    add_rule,
    admin,
    member_of_target_department,
    officer_of_target_department,
)
from zhicheng.policy.service import Target, across_departments, authorize, decide

KIND = "exchange.request"
# The providing department must answer a 有条件共享 request within a time limit: 10 working days in
# 国发〔2016〕51号《政务信息资源共享管理暂行办法》 and in most local rules (贵州 10; some cities ask 5 for data already on
# the platform). Check it against 《政务数据共享条例》 (in force 2025-08-01) and the local rule. The day the request
# arrives is day 0 (not counted); the answer is due by the end of the last working day, Beijing time.
ANSWER_WORKING_DAYS = 10


# -- policy --------------------------------------------------------------------------------------------------

add_rule(KIND, "create", "user of another department", outside_member)
for _name, _cond in (("admin", admin), ("member of the requesting department", consumer_member),
                     ("member of the providing department", member_of_target_department)):
    add_rule(KIND, "read", _name, _cond)
add_rule(KIND, "decide", "data_officer of the providing department", officer_of_target_department)
add_rule(KIND, "decide", "admin (escalated requests)", admin)
add_rule(KIND, "escalate", "admin", admin)
KIND_NAMES[KIND] = ("共享申请", "share request")
ACTION_NAMES["decide"] = ("审批", "decide")
ACTION_NAMES["escalate"] = ("督办", "escalate")


def request_target(req: ShareRequest) -> Target:
    return Target(KIND, req.id, req.provider_department_id, {"consumer_department_id": req.consumer_department_id})


def _name(actor: Actor) -> str | None:
    return actor.display_name or actor.username


def _authorize(db: Session, actor: Actor, action: str, target: Target) -> None:
    """Ask policy; a refusal is audited (and committed) before Forbidden propagates."""
    try:
        authorize(actor, action, target)
    except Forbidden:
        db.rollback()
        audit.record(db, actor=actor, action=f"{target.kind}.{action}", target_kind=target.kind,
                     target_id=None if target.id is None else str(target.id), outcome="denied",
                     detail={"department_id": target.department_id})
        db.commit()
        raise


def _event(db: Session, req: ShareRequest, action: str, actor: Actor, note: str | None = None) -> None:
    db.add(RequestEvent(request_id=req.id, action=action, actor_name=_name(actor), note=note, at=clock.now()))


def _finish(db: Session, actor: Actor, req: ShareRequest, action: str, detail: dict[str, Any] | None = None) -> None:
    """Audit, commit, announce."""
    db.flush()
    audit.record(db, actor=actor, action=f"{KIND}.{action}", target_kind=KIND, target_id=str(req.id),
                 detail={"resource_id": req.resource_id, "state": req.state,
                         "consumer_department_id": req.consumer_department_id, **(detail or {})})
    db.commit()
    bus.publish(f"{KIND}.{action}", {"id": req.id, "resource_id": req.resource_id, "state": req.state,
                                    "provider_department_id": req.provider_department_id,
                                    "consumer_department_id": req.consumer_department_id})


def _expiry(period_end: date) -> datetime:
    """A grant runs to the end of its last day, Beijing time."""
    return datetime.combine(period_end + timedelta(days=1), time(0), tzinfo=clock.LOCAL_TZ).astimezone(
        clock.now().tzinfo)


# -- requesting ----------------------------------------------------------------------------------------------

def submit_request(db: Session, *, actor: Actor, resource_id: int, purpose: str, basis: str, items: list[str],
                   row_filter: dict[str, Any] | None, period_start: date, period_end: date,
                   delivery: str = "api") -> ShareRequest:
    """Ask another department for a resource; 无条件共享 is granted at once, the rest waits for the provider."""
    doc = catalog.read_resource(db, actor=actor, resource_id=resource_id)
    if not doc.get("live"):
        raise Conflict("该资源尚未发布，不能申请共享", "the resource is not published; it cannot be requested",
                       field="resource_id")
    _authorize(db, actor, "create", Target(KIND, None, doc["department"]["id"],
                                           {"consumer_department_id": actor.department_id}))
    purpose, basis = (purpose or "").strip(), (basis or "").strip()
    if not purpose:
        raise Invalid("请填写用途", "the purpose is required", field="purpose")
    if not basis:
        raise Invalid("请填写法律依据或业务需要", "the legal basis or business need is required", field="basis")
    if delivery not in ("api", "file"):
        raise Invalid("交付方式须为 api 或 file", "delivery must be api or file", field="delivery")
    known = [i["name"] for i in doc["items"]]
    items = check_items(list(items or []), known)
    row_filter = check_row_filter(row_filter, known)
    check_period(period_start, period_end, workdays.china_today())
    at = clock.now()
    req = ShareRequest(resource_id=resource_id, resource_name=doc["name"], share_type=doc["share_type"],
                       provider_department_id=doc["department"]["id"], consumer_department_id=actor.department_id,
                       requester_id=actor.user_id, requester_name=_name(actor), purpose=purpose, basis=basis,
                       items=items, row_filter=row_filter, period_start=period_start, period_end=period_end,
                       delivery=delivery, state="pending", submitted_at=at, due_date=due_date(at, db=db))
    db.add(req)
    db.flush()
    _event(db, req, "submitted", actor)
    if doc["share_type"] == "unconditional":
        _grant(db, req, SYSTEM, items=items, row_filter=row_filter, period_start=period_start,
               period_end=period_end, plain_items=[], file_export_approved=False)
        _event(db, req, "granted", SYSTEM, "无条件共享，自动授权")
    _finish(db, actor, req, "submit", {"items": items, "row_filter": row_filter, "delivery": delivery})
    return req


def _claim(db: Session, req: ShareRequest, new_state: str) -> None:
    """Move a pending request to `new_state` in one conditional UPDATE: of two answers given at once, one wins
    and the other gets Conflict."""
    done = db.execute(update(ShareRequest).where(ShareRequest.id == req.id, ShareRequest.state == "pending")
                      .values(state=new_state).execution_options(synchronize_session=False))
    if done.rowcount != 1:
        db.rollback()
        raise Conflict("该申请已经答复", "the request has already been answered", field="state")


def _grant(db: Session, req: ShareRequest, actor: Actor, *, items: list[str], row_filter, period_start: date,
           period_end: date, plain_items: list[str], file_export_approved: bool, note: str | None = None) -> Grant:
    if req.state == "pending" and req.id is not None:
        _claim(db, req, "granted")
    req.state, req.decided_at, req.decided_by, req.decided_by_name = "granted", clock.now(), actor.user_id, _name(
        actor)
    req.reason = note
    grant = Grant(request_id=req.id, resource_id=req.resource_id, consumer_department_id=req.consumer_department_id,
                  provider_department_id=req.provider_department_id, items=items, row_filter=row_filter,
                  plain_items=plain_items, purpose=req.purpose, starts_on=period_start,
                  expires_at=_expiry(period_end), delivery=req.delivery,
                  file_export_approved=file_export_approved, created_at=clock.now())
    db.add(grant)
    db.flush()
    return grant


def resource_items(db: Session, resource_id: int) -> list[tuple[str, str]]:
    """(name, label) of every data item of the resource as published (its working copy before it is)."""
    res = catalog.get_resource(db, resource_id)
    doc = catalog.live_snapshot(db, res) or catalog.document(db, res)
    return [(i["name"], i.get("label") or i["name"]) for i in doc["items"]]


def _pending(db: Session, actor: Actor, request_id: int) -> ShareRequest:
    req = get_or_404(db, ShareRequest, request_id, "共享申请", "share request")
    _authorize(db, actor, "decide", request_target(req))
    if req.state != "pending":
        raise Conflict("该申请已经答复", "the request has already been answered", field="state")
    return req


def approve(db: Session, *, actor: Actor, request_id: int, items: list[str] | None = None,
            row_filter: dict[str, Any] | None = None, period_start: date | None = None,
            period_end: date | None = None, plain_items: list[str] | None = None,
            file_export_approved: bool = False, note: str | None = None) -> Grant:
    """The provider approves, possibly narrowing items, rows or period, never widening them."""
    req = _pending(db, actor, request_id)
    if req.share_type == "none":
        raise Conflict("不予共享的资源只能拒绝", "a resource that is not shared can only be refused", field="state")
    items = req.items if items is None else check_items(items, req.items)
    if row_filter is None:
        row_filter = req.row_filter
    else:  # rows may be narrowed on any item of the resource, whether requested or not
        row_filter = check_row_filter(row_filter, [name for name, _label in resource_items(db, req.resource_id)])
        if not narrower_filter(req.row_filter, row_filter):
            raise refuse_widening("行范围", "the row filter", "row_filter")
    start, end = period_start or req.period_start, period_end or req.period_end
    if start < req.period_start or end > req.period_end:
        raise refuse_widening("使用期限", "the period", "period_end")
    check_period(start, end, workdays.china_today())
    plain = check_items(plain_items, items, "plain_items") if plain_items else []
    grant = _grant(db, req, actor, items=items, row_filter=row_filter, period_start=start, period_end=end,
                   plain_items=plain, file_export_approved=bool(file_export_approved),
                   note=(note or "").strip() or None)
    _event(db, req, "approved", actor, req.reason)
    _finish(db, actor, req, "approve", {"grant_id": grant.id, "items": items, "row_filter": row_filter,
                                        "plain_items": plain, "expires_at": grant.expires_at.isoformat()})
    return grant


def refuse(db: Session, *, actor: Actor, request_id: int, reason: str) -> ShareRequest:
    """The provider refuses with a reason; for 不予共享 the catalog's legal basis is cited."""
    req = _pending(db, actor, request_id)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("请说明拒绝理由", "state the reason for refusing", field="reason")
    if req.share_type == "none":
        basis = catalog.get_resource(db, req.resource_id).share_basis or ""
        if basis and basis not in reason:
            reason = f"{reason}（不予共享依据：{basis}）"
    _claim(db, req, "refused")
    req.state, req.decided_at, req.decided_by, req.decided_by_name = "refused", clock.now(), actor.user_id, _name(
        actor)
    req.reason = reason
    _event(db, req, "refused", actor, reason)
    _finish(db, actor, req, "refuse", {"reason": reason})
    return req


def revoke_grant(db: Session, *, actor: Actor, grant_id: int, reason: str) -> Grant:
    """The provider or the admin revokes a grant; it stops working on the very next call."""
    grant = get_or_404(db, Grant, grant_id, "共享授权", "grant")
    _authorize(db, actor, "revoke", grant_target(grant))
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("请说明撤销理由", "state the reason for revoking", field="reason")
    if grant.revoked_at is not None:
        raise Conflict("该授权已经撤销", "the grant has already been revoked", field="state")
    grant.revoked_at, grant.revoked_by_name, grant.revoke_reason = clock.now(), _name(actor), reason
    req = db.get(ShareRequest, grant.request_id)
    _event(db, req, "revoked", actor, reason)
    db.flush()
    audit.record(db, actor=actor, action="exchange.grant.revoke", target_kind="exchange.grant",
                 target_id=str(grant.id), detail={"resource_id": grant.resource_id, "reason": reason,
                                                  "consumer_department_id": grant.consumer_department_id})
    db.commit()
    bus.publish("exchange.grant.revoked", {"id": grant.id, "resource_id": grant.resource_id,
                                           "consumer_department_id": grant.consumer_department_id})
    return grant


# -- deadlines -----------------------------------------------------------------------------------------------

def due_date(submitted_at: datetime, *, db: Session | None = None) -> date:
    """The last day on which a request submitted at `submitted_at` may be answered."""
    return workdays.add_working_days(workdays.china_today(submitted_at), ANSWER_WORKING_DAYS, db=db)


def recount_pending(db: Session) -> list[int]:
    """Count the due dates of pending, not yet escalated requests again on the schedule in force (after the admin
    changed it, in the caller's transaction); the ids of those that moved."""
    moved = []
    for req in db.scalars(select(ShareRequest).where(ShareRequest.state == "pending",
                                                     ShareRequest.escalated_at.is_(None))):
        due = due_date(clock.aware(req.submitted_at), db=db)
        if due != req.due_date:
            req.due_date = due
            moved.append(req.id)
    return moved


def escalate_overdue(db: Session, *, actor: Actor = SYSTEM) -> list[ShareRequest]:
    """Flag every pending request past its due day and escalate it to the platform admin (once each)."""
    _authorize(db, actor, "escalate", Target(KIND))
    today = workdays.china_today()
    found = list(db.scalars(select(ShareRequest).where(ShareRequest.state == "pending",
                                                       ShareRequest.escalated_at.is_(None),
                                                       ShareRequest.due_date < today)))
    for req in found:
        req.escalated_at = clock.now()
        _event(db, req, "escalated", actor, f"超过答复期限（{req.due_date.isoformat()}），已提交平台管理员督办")
        db.flush()
        audit.record(db, actor=actor, action=f"{KIND}.escalate", target_kind=KIND, target_id=str(req.id),
                     detail={"due_date": req.due_date.isoformat(), "provider_department_id":
                             req.provider_department_id})
    db.commit()
    for req in found:
        bus.publish(f"{KIND}.escalated", {"id": req.id, "resource_id": req.resource_id,
                                          "provider_department_id": req.provider_department_id,
                                          "due_date": req.due_date.isoformat()})
    return found


# -- reading -------------------------------------------------------------------------------------------------

def get_request(db: Session, *, actor: Actor, request_id: int) -> ShareRequest:
    """One request, for its requesting department, its provider and the admin."""
    req = get_or_404(db, ShareRequest, request_id, "共享申请", "share request")
    _authorize(db, actor, "read", request_target(req))
    return req


def events_of(db: Session, request_id: int) -> list[RequestEvent]:
    return list(db.scalars(select(RequestEvent).where(RequestEvent.request_id == request_id)
                           .order_by(RequestEvent.at, RequestEvent.id)))


def grant_of(db: Session, request_id: int) -> Grant | None:
    return db.scalar(select(Grant).where(Grant.request_id == request_id))


def my_requests(db: Session, *, actor: Actor) -> list[ShareRequest]:
    """The requests of the actor's department (我的申请), newest first."""
    if actor.department_id is None:
        return []
    return list(db.scalars(select(ShareRequest).where(ShareRequest.consumer_department_id == actor.department_id)
                           .order_by(ShareRequest.id.desc())))


def inbox(db: Session, *, actor: Actor, include_answered: bool = False) -> list[ShareRequest]:
    """Requests waiting for the actor's answer (待审批): its department's as provider; every one for the admin.
    Overdue requests are escalated first."""
    escalate_overdue(db)
    q = select(ShareRequest).order_by(ShareRequest.due_date, ShareRequest.id)
    if not include_answered:
        q = q.where(ShareRequest.state == "pending")
    if not across_departments(actor, "decide", KIND):
        if not decide(actor, "decide", Target(KIND, department_id=actor.department_id)).allowed:
            raise Forbidden("只有数据提供部门的数据管理员可以审批共享申请",
                            "only the providing department's data officer answers share requests")
        q = q.where(ShareRequest.provider_department_id == actor.department_id)
    return list(db.scalars(q))


def list_grants(db: Session, *, actor: Actor) -> list[Grant]:
    """Grants the actor may see: its department's as consumer or provider; every one for the admin."""
    q = select(Grant).order_by(Grant.id.desc())
    if not across_departments(actor, "read", "exchange.grant"):
        if actor.department_id is None:
            return []
        q = q.where((Grant.consumer_department_id == actor.department_id)
                    | (Grant.provider_department_id == actor.department_id))
    return [g for g in db.scalars(q) if decide(actor, "read", grant_target(g)).allowed]


def get_grant(db: Session, *, actor: Actor, grant_id: int) -> Grant:
    grant = get_or_404(db, Grant, grant_id, "共享授权", "grant")
    _authorize(db, actor, "read", grant_target(grant))
    return grant


def request_view(db: Session, req: ShareRequest, *, with_events: bool = False) -> dict[str, Any]:
    """A request as the API and the pages show it: its deadline, whether overdue, its grant and timeline."""
    pending = req.state == "pending"
    grant = grant_of(db, req.id)
    out = {c: getattr(req, c) for c in (
        "id", "resource_id", "resource_name", "share_type", "provider_department_id", "consumer_department_id",
        "requester_name", "purpose", "basis", "items", "row_filter", "period_start", "period_end", "delivery",
        "state", "due_date", "decided_by_name", "reason")}
    out.update(submitted_at=clock.aware(req.submitted_at), decided_at=clock.aware(req.decided_at),
               escalated_at=clock.aware(req.escalated_at),
               overdue=pending and workdays.is_overdue(req.due_date),
               working_days_left=workdays.working_days_left(req.due_date, db=db) if pending else None,
               unscheduled_years=workdays.unscheduled_years(workdays.china_today(clock.aware(req.submitted_at)),
                                                             req.due_date, db=db),
               grant_id=grant.id if grant else None, grant_state=state_of(grant) if grant else None)
    out["deadline_provisional"] = bool(out["unscheduled_years"])
    out["events"] = [{"action": e.action, "actor_name": e.actor_name, "note": e.note, "at": clock.aware(e.at)}
                     for e in events_of(db, req.id)] if with_events else []
    return out


def grant_view(grant: Grant) -> dict[str, Any]:
    out = {c.name: getattr(grant, c.name) for c in Grant.__table__.columns}
    for k in ("expires_at", "revoked_at", "last_used_at", "created_at"):
        out[k] = clock.aware(out[k])
    out["state"] = state_of(grant)
    return out
