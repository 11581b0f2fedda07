"""Staff pages of the portal (/open/admin): the provider's data officer decides applications, answers data
requests and moderates comments; an admin also reviews showcase apps."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, Path, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from zhicheng.accounts.deps import csrf_protect, require_user
from zhicheng.core.actor import Actor
from zhicheng.core.errors import AppError, Forbidden
from zhicheng.opendata import service
from zhicheng.opendata.interaction import service as interaction
from zhicheng.policy import service as policy
from zhicheng.web.deps import get_db
from zhicheng.web.flash import flash
from zhicheng.web.i18n import request_language
from zhicheng.web.routing import APIRouter
from zhicheng.web.templating import render

router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2_147_483_647)]


def _back(request: Request, message: str, kind: str = "success") -> RedirectResponse:
    return flash(request, RedirectResponse("/open/admin", status_code=303), message, kind)


def _safe(fn, default):
    try:
        return fn()
    except Forbidden:
        return default


@router.get("/open/admin")
def staff_home(request: Request, actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    """What waits for this officer: applications, comments, data requests (and apps, for an admin)."""
    if not policy.decide(actor, "answer", policy.Target("open.request", department_id=actor.department_id)).allowed:
        raise Forbidden(
            "只有管理员和数据管理员可以处理开放平台事务", "only admins and data officers handle the portal"
        )
    lang = request_language(request)
    apps = [
        service.application_out(a, lang)
        for a in _safe(lambda: service.staff_applications(db, actor=actor, state="pending"), [])
    ]
    comments = [
        interaction.comment_out(c, lang)
        for c in _safe(lambda: interaction.pending_comments(db, actor=actor), [])
    ]
    dept = None if policy.across_departments(actor, "answer", "open.request") else actor.department_id
    requests_ = [
        interaction.request_out(r, lang)
        for r in interaction.list_requests(db, state="open", limit=200)
        if dept is None or r.department_id == dept
    ]
    showcase = (
        [interaction.app_out(a, lang) for a in interaction.list_apps(db, state="submitted")]
        if policy.across_departments(actor, "review", "open.app")
        else []
    )
    return render(
        request,
        "opendata/staff.html",
        {
            "applications": apps,
            "comments": comments,
            "requests": requests_,
            "showcase": showcase,
            "breadcrumbs": [("开放数据", "/open"), ("开放平台事务", None)],
        },
    )


@router.post("/open/admin/applications/{application_id}", dependencies=[Depends(csrf_protect)])
def decide(
    application_id: Id,
    request: Request,
    decision: str = Form(..., max_length=16),
    reason: str = Form("", max_length=4000),
    actor: Actor = Depends(require_user),
    db: Session = Depends(get_db),
):
    try:
        service.decide_application(
            db, actor=actor, application_id=application_id, decision=decision, reason=reason
        )
    except AppError as err:
        if err.status == 403:
            raise
        return _back(request, err.message("zh-CN"), "error")
    return _back(request, "已批准" if decision == "approve" else "已答复不批准")


@router.post("/open/admin/comments/{comment_id}", dependencies=[Depends(csrf_protect)])
def moderate(
    comment_id: Id,
    request: Request,
    decision: str = Form(..., max_length=16),
    actor: Actor = Depends(require_user),
    db: Session = Depends(get_db),
):
    interaction.moderate(db, actor=actor, comment_id=comment_id, decision=decision)
    return _back(request, "评论已审核")


@router.post("/open/admin/requests/{request_id}", dependencies=[Depends(csrf_protect)])
def answer(
    request_id: Id,
    request: Request,
    answer: str = Form("", max_length=4000),
    state: str = Form("answered", max_length=16),
    actor: Actor = Depends(require_user),
    db: Session = Depends(get_db),
):
    try:
        interaction.answer_request(db, actor=actor, request_id=request_id, answer=answer, state=state)
    except AppError as err:
        if err.status == 403:
            raise
        return _back(request, err.message("zh-CN"), "error")
    return _back(request, "已公开答复")


@router.post("/open/admin/apps/{app_id}", dependencies=[Depends(csrf_protect)])
def review(
    app_id: Id,
    request: Request,
    decision: str = Form(..., max_length=16),
    note: str = Form("", max_length=2000),
    actor: Actor = Depends(require_user),
    db: Session = Depends(get_db),
):
    interaction.review_app(db, actor=actor, app_id=app_id, decision=decision, note=note)
    return _back(request, "应用已审核")
