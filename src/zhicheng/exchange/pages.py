"""Exchange pages: my requests (我的申请) and the request form, the approval inbox (待审批), grants (授权), KPIs."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from zhicheng.accounts import service as accounts
from zhicheng.accounts.deps import csrf_protect, require_user
from zhicheng.catalog import service as catalog
from zhicheng.core.actor import Actor
from zhicheng.core.errors import AppError, Invalid
from zhicheng.core.workdays import service as workdays
from zhicheng.exchange import kpis, service
from zhicheng.policy.service import Target, decide
from zhicheng.web.deps import get_db
from zhicheng.web.flash import flash
from zhicheng.web.i18n import request_language
from zhicheng.web.routing import APIRouter
from zhicheng.web.templating import render

router = APIRouter(include_in_schema=False)
STATE_NAMES = {"pending": "待审批", "granted": "已授权", "refused": "已拒绝", "active": "有效", "expired": "已过期",
               "revoked": "已撤销", "not_started": "未开始"}
EVENT_NAMES = {"submitted": "提交申请", "granted": "自动授权", "approved": "同意", "refused": "已拒绝",
               "escalated": "逾期督办", "revoked": "撤销授权"}
SHARE_NAMES = {"unconditional": "无条件共享", "conditional": "有条件共享", "none": "不予共享"}


def _departments(db: Session) -> dict[int, str]:
    return {d.id: d.name for d in accounts.list_departments(db)}


def _base(db: Session) -> dict[str, Any]:
    return {"departments": _departments(db), "state_names": STATE_NAMES, "event_names": EVENT_NAMES,
            "share_names": SHARE_NAMES}


def _warning(db: Session, actor: Actor) -> dict[str, Any]:
    """The years without a holiday schedule, shown to the admin (who enters them) above the requests."""
    shown = decide(actor, "update", Target("exchange.holidays")).allowed
    return {"missing_years": workdays.missing_years(db) if shown else []}


def _date(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise Invalid("日期格式应为 YYYY-MM-DD", "a date is written YYYY-MM-DD", field=field) from exc


def _row_filter(items: list[str], prefixes: list[str]) -> dict[str, dict[str, str]] | None:
    """The form's row conditions (pairs of filter_item and filter_prefix; rows without a prefix ignored) in the
    syntax the service checks: {item: {"prefix": ...}}."""
    out: dict[str, dict[str, str]] = {}
    for item, prefix in zip(items, prefixes, strict=False):
        item, prefix = item.strip(), prefix.strip()
        if not prefix:
            continue
        if not item:
            raise Invalid("请选择按哪个数据项过滤行", "choose the item the rows are filtered on", field="row_filter")
        if item in out:
            raise Invalid(f"数据项 {item} 只能有一个前缀条件", f"the item {item} may have one prefix condition only",
                          field=f"row_filter.{item}")
        out[item] = {"prefix": prefix}
    return out or None


@router.get("/exchange/requests")
def my_requests(request: Request, actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    rows = [service.request_view(db, r) for r in service.my_requests(db, actor=actor)]
    return render(request, "exchange/requests.html", {**_base(db), "rows": rows, **_warning(db, actor),
                                                      "breadcrumbs": [("我的申请", None)]})


def _form(request: Request, db: Session, actor: Actor, resource_id: int, values: dict[str, Any] | None = None,
          error: str | None = None, field: str | None = None, status: int = 200):
    doc = catalog.read_resource(db, actor=actor, resource_id=resource_id)
    today = workdays.china_today()
    values = values or {"items": [i["name"] for i in doc["items"]], "period_start": today.isoformat(),
                        "period_end": (today + timedelta(days=365)).isoformat(), "delivery": doc.get("share_method")
                        or "api"}
    return render(request, "exchange/request_form.html", {
        **_base(db), "resource": doc, "values": values, "error": error, "field": field,
        "breadcrumbs": [("我的申请", "/exchange/requests"), ("申请共享", None)]}, status_code=status)


@router.get("/exchange/requests/new")
def new_request(request: Request, resource_id: int, actor: Actor = Depends(require_user),
                db: Session = Depends(get_db)):
    return _form(request, db, actor, resource_id)


@router.post("/exchange/requests", dependencies=[Depends(csrf_protect)])
def submit_request(request: Request, resource_id: int = Form(...), purpose: str = Form(""), basis: str = Form(""),
                   items: list[str] = Form([]), filter_item: list[str] = Form([]),
                   filter_prefix: list[str] = Form([]), period_start: str = Form(""), period_end: str = Form(""), delivery: str = Form("api"),
                   actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    values = {"purpose": purpose, "basis": basis, "items": items, "filter_item": (filter_item or [""])[0],
              "filter_prefix": (filter_prefix or [""])[0], "period_start": period_start, "period_end": period_end,
              "delivery": delivery}
    try:
        req = service.submit_request(db, actor=actor, resource_id=resource_id, purpose=purpose, basis=basis,
                                     items=items, row_filter=_row_filter(filter_item, filter_prefix),
                                     period_start=_date(period_start, "period_start"),
                                     period_end=_date(period_end, "period_end"), delivery=delivery)
    except AppError as exc:
        if exc.status in (401, 403, 404):
            raise
        db.rollback()
        return _form(request, db, actor, resource_id, values, exc.message(request_language(request)), exc.field,
                     status=exc.status)
    message = "已自动授权（无条件共享）。" if req.state == "granted" else "申请已提交，等待提供部门审批。"
    return flash(request, RedirectResponse(f"/exchange/requests/{req.id}", status_code=303), message)


@router.get("/exchange/requests/{request_id}")
def request_detail(request: Request, request_id: int, actor: Actor = Depends(require_user),
                   db: Session = Depends(get_db), error: str | None = None, status: int = 200):
    req = service.get_request(db, actor=actor, request_id=request_id)
    view = service.request_view(db, req, with_events=True)
    can_decide = req.state == "pending" and decide(actor, "decide", service.request_target(req)).allowed
    return render(request, "exchange/request.html", {
        **_base(db), "r": view, "can_decide": can_decide, "error": error,
        "filter_items": service.resource_items(db, req.resource_id) if can_decide else [],
        "item_labels": dict(service.resource_items(db, req.resource_id)),
        "breadcrumbs": [("我的申请", "/exchange/requests"), (f"#{req.id}", None)]}, status_code=status)


@router.post("/exchange/requests/{request_id}/approve", dependencies=[Depends(csrf_protect)])
def approve(request: Request, request_id: int, items: list[str] = Form([]), plain_items: list[str] = Form([]),
            filter_item: list[str] = Form([]), filter_prefix: list[str] = Form([]), period_end: str = Form(""),
            file_export_approved: bool = Form(False), note: str = Form(""), actor: Actor = Depends(require_user),
            db: Session = Depends(get_db)):
    try:
        service.approve(db, actor=actor, request_id=request_id, items=items, plain_items=plain_items,
                        row_filter=_row_filter(filter_item, filter_prefix),
                        period_end=_date(period_end, "period_end") if period_end.strip() else None,
                        file_export_approved=file_export_approved, note=note)
    except AppError as exc:
        if exc.status in (401, 404):
            raise
        db.rollback()
        return request_detail(request, request_id, actor, db, exc.message(request_language(request)), exc.status)
    return flash(request, RedirectResponse("/exchange/inbox", status_code=303), "已同意，授权已生效。")


@router.post("/exchange/requests/{request_id}/refuse", dependencies=[Depends(csrf_protect)])
def refuse(request: Request, request_id: int, reason: str = Form(""), actor: Actor = Depends(require_user),
           db: Session = Depends(get_db)):
    try:
        service.refuse(db, actor=actor, request_id=request_id, reason=reason)
    except AppError as exc:
        if exc.status in (401, 404):
            raise
        db.rollback()
        return request_detail(request, request_id, actor, db, exc.message(request_language(request)), exc.status)
    return flash(request, RedirectResponse("/exchange/inbox", status_code=303), "已拒绝该申请。")


@router.get("/exchange/inbox")
def inbox(request: Request, actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    rows = [service.request_view(db, r) for r in service.inbox(db, actor=actor)]
    return render(request, "exchange/inbox.html", {**_base(db), "rows": rows, **_warning(db, actor),
                                                   "breadcrumbs": [("待审批", None)]})


@router.get("/exchange/grants")
def grants(request: Request, actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    rows, labels, names = [], {}, {}
    for g in service.list_grants(db, actor=actor):
        view = service.grant_view(g)
        if g.resource_id not in labels:  # resources and items by their Chinese names, not ids and identifiers
            labels[g.resource_id] = dict(service.resource_items(db, g.resource_id))
            names[g.resource_id] = catalog.get_resource(db, g.resource_id).name
        view["resource_name"] = names[g.resource_id]
        view["can_revoke"] = view["revoked_at"] is None and decide(actor, "revoke", service.grant_target(g)).allowed
        rows.append(view)
    return render(request, "exchange/grants.html", {**_base(db), "rows": rows, "item_labels": labels,
                                                    "breadcrumbs": [("授权", None)]})


@router.post("/exchange/grants/{grant_id}/revoke", dependencies=[Depends(csrf_protect)])
def revoke(request: Request, grant_id: int, reason: str = Form(""), actor: Actor = Depends(require_user),
           db: Session = Depends(get_db)):
    try:
        service.revoke_grant(db, actor=actor, grant_id=grant_id, reason=reason)
    except AppError as exc:
        if exc.status in (401, 403, 404):
            raise
        db.rollback()
        return flash(request, RedirectResponse("/exchange/grants", status_code=303),
                     "撤销失败：请填写理由。" if exc.field == "reason" else "该授权已经撤销。", "error")
    return flash(request, RedirectResponse("/exchange/grants", status_code=303), "授权已撤销，立即生效。")


@router.get("/exchange/kpis")
def kpi_page(request: Request, actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    """共享考核指标 / the sharing KPIs page (platform admin or leader)."""
    data = kpis.compute(db, actor=actor)
    return render(request, "exchange/kpis.html", {"k": data, "breadcrumbs": [("共享考核指标", None)]})


def nav_entries(nav) -> None:
    """This domain's entries in the app shell's navigation (`nav` is a web.navigation.Navigation)."""
    nav.register_nav("data", "我的申请", "/exchange/requests", order=40)
    nav.register_nav("data", "待审批", "/exchange/inbox", roles=("admin", "data_officer"), order=50)
    nav.register_nav("data", "授权", "/exchange/grants", order=60)
    nav.register_nav("data", "共享指标", "/exchange/kpis", roles=("admin", "leader"), order=70)
    nav.register_nav("system", "脱敏规则", "/exchange/masking-rules", roles=("admin",), order=30)
