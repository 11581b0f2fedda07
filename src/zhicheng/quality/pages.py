"""Quality pages: the dashboard (/quality), a resource's quality page, and the correction task inbox."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from zhicheng.accounts import service as accounts
from zhicheng.accounts.deps import csrf_protect, require_user
from zhicheng.catalog import service as catalog
from zhicheng.core.actor import Actor
from zhicheng.core.errors import AppError, Invalid, NotFound
from zhicheng.policy.service import decide
from zhicheng.quality import access, reports, service
from zhicheng.quality import rules as R
from zhicheng.web.deps import get_db
from zhicheng.web.flash import flash
from zhicheng.web.i18n import request_language
from zhicheng.web.routing import APIRouter
from zhicheng.web.templating import render

router = APIRouter(include_in_schema=False)
TRIGGER_NAMES = {"import": "导入后", "manual": "手动", "schedule": "定时"}
STATE_NAMES = {
    "active": "生效",
    "proposed": "建议",
    "dismissed": "已忽略",
    "open": "待整改",
    "closed": "已关闭",
}


def _base(db: Session) -> dict[str, Any]:
    return {
        "departments": {d.id: d.name for d in accounts.list_departments(db)},
        "dimensions": R.DIMENSIONS,
        "kinds": R.KINDS,
        "trigger_names": TRIGGER_NAMES,
        "state_names": STATE_NAMES,
    }


@router.get("/quality")
def dashboard(request: Request, actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    data = service.dashboard(db, actor=actor, lang=request_language(request))
    return render(
        request, "quality/dashboard.html", {**_base(db), "d": data, "breadcrumbs": [("数据质量", None)]}
    )


@router.get("/quality/tasks")
def task_inbox(
    request: Request, state: str = "open", actor: Actor = Depends(require_user), db: Session = Depends(get_db)
):
    state = state if state in ("open", "closed") else "open"
    rows = service.inbox(db, actor=actor, state=state, lang=request_language(request))
    return render(
        request,
        "quality/tasks.html",
        {
            **_base(db),
            "rows": rows,
            "state": state,
            "breadcrumbs": [("数据质量", "/quality"), ("整改任务", None)],
        },
    )


@router.get("/quality/resources/{resource_id}")
def resource_page(
    request: Request,
    resource_id: int,
    actor: Actor = Depends(require_user),
    db: Session = Depends(get_db),
    error: str | None = None,
    field: str | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
):
    lang = request_language(request)
    res = catalog.get_resource(db, resource_id)
    labels = reports.item_labels(db, res.id)
    rules = [service.rule_view(r, lang, labels) for r in service.list_rules(db, actor=actor, resource_id=res.id)]
    report = service.report(db, actor=actor, resource_id=res.id, lang=lang)
    can_define = decide(actor, "define", access.target_of(access.RULE, res)).allowed
    return render(
        request,
        "quality/resource.html",
        {
            **_base(db),
            "res": res,
            "active": [r for r in rules if r.get("state") == "active"],
            "proposals": [r for r in rules if r.get("state") == "proposed"],
            "report": report,
            "items": [s.name for s in catalog.item_specs(db, res.id)],
            "labels": labels,
            "can_define": can_define,
            "error": error,
            "field": field,
            "values": values or {},
            "breadcrumbs": [("数据质量", "/quality"), (res.name, None)],
        },
        status_code=status,
    )


def _back(request: Request, resource_id: int, message: str):
    return flash(request, RedirectResponse(f"/quality/resources/{resource_id}", status_code=303), message)


@router.post("/quality/resources/{resource_id}/propose", dependencies=[Depends(csrf_protect)])
def propose(
    request: Request, resource_id: int, actor: Actor = Depends(require_user), db: Session = Depends(get_db)
):
    service.propose(db, actor=actor, resource_id=resource_id)
    return _back(request, resource_id, "已根据信息项和数据画像生成规则建议。")


@router.post("/quality/resources/{resource_id}/run", dependencies=[Depends(csrf_protect)])
def run_now(
    request: Request, resource_id: int, actor: Actor = Depends(require_user), db: Session = Depends(get_db)
):
    service.run(db, actor=actor, resource_id=resource_id)
    return _back(request, resource_id, "质量检测已完成。")


@router.post("/quality/resources/{resource_id}/rules", dependencies=[Depends(csrf_protect)])
def define(
    request: Request,
    resource_id: int,
    kind: str = Form(""),
    item: str = Form(""),
    params: str = Form(""),
    actor: Actor = Depends(require_user),
    db: Session = Depends(get_db),
):
    values = {"kind": kind, "item": item, "params": params}
    try:
        try:
            parsed = json.loads(params) if params.strip() else {}
        except ValueError:
            raise Invalid("参数应为 JSON 对象", "params must be a JSON object", field="params") from None
        service.define_rule(
            db,
            actor=actor,
            resource_id=resource_id,
            data={"kind": kind, "item": item or None, "params": parsed},
        )
    except AppError as exc:
        if exc.status in (401, 403) or (isinstance(exc, NotFound) and exc.field != "params.resource_id"):
            raise
        db.rollback()
        return resource_page(
            request,
            resource_id,
            actor,
            db,
            exc.message(request_language(request)),
            exc.field,
            values,
            status=exc.status,
        )
    return _back(request, resource_id, "质量规则已添加。")


@router.post("/quality/rules/{rule_id}/{action}", dependencies=[Depends(csrf_protect)])
def rule_action(
    request: Request,
    rule_id: int,
    action: str,
    actor: Actor = Depends(require_user),
    db: Session = Depends(get_db),
):
    if action not in ("accept", "dismiss"):
        raise NotFound("操作不存在", "no such action", field="action")
    rule = service.set_rule_state(
        db, actor=actor, rule_id=rule_id, state="active" if action == "accept" else "dismissed"
    )
    return _back(request, rule.resource_id, "已采纳规则建议。" if action == "accept" else "已忽略该规则。")


def nav_entries(nav) -> None:
    """This domain's entries in the app shell's navigation (`nav` is a web.navigation.Navigation)."""
    nav.register_nav("data", "数据质量", "/quality", roles=("admin", "data_officer"), order=80)
