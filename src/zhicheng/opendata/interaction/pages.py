"""Portal pages of public interaction: data requests (list, ask, answers) and the app showcase (list, submit)."""

from __future__ import annotations

from fastapi import Depends, Form, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from zhicheng.core.errors import AppError, Unauthorized
from zhicheng.opendata.deps import optional_portal_user, portal_csrf
from zhicheng.opendata.interaction import service as interaction
from zhicheng.opendata.users.models import PortalUser
from zhicheng.web.deps import get_db
from zhicheng.web.flash import flash
from zhicheng.web.i18n import request_language
from zhicheng.web.routing import APIRouter

router = APIRouter(include_in_schema=False)


def _render(request, db, name, ctx, status_code=200):
    from zhicheng.opendata.pages import portal_render

    return portal_render(request, db, name, ctx, status_code=status_code)


def _departments(db: Session, lang: str) -> list[tuple[int, str]]:
    from zhicheng.accounts import service as accounts

    departments = sorted(accounts.list_departments(db), key=lambda d: d.id)
    return [(d.id, (d.name_en if lang == "en" and d.name_en else d.name)) for d in departments]


def _requests_context(db: Session, request: Request, state: str | None, **extra) -> dict:
    lang = request_language(request)
    depts = dict(_departments(db, lang))
    rows = interaction.list_requests(db, state=state, limit=100)
    ctx = {
        "items": [interaction.request_out(r, lang, depts.get(r.department_id)) for r in rows],
        "departments": list(depts.items()),
        "state": state,
        "states": interaction.REQUEST_STATES,
        "errors": {},
        "values": {},
        "breadcrumbs": [("开放数据", "/open"), ("数据需求", None)],
    }
    ctx.update(extra)
    return ctx


def _need_login(user: PortalUser | None) -> PortalUser:
    if user is None:
        raise Unauthorized("请先登录开放平台", "please log in to the portal first", code="login_required")
    return user


@router.get("/open/requests")
def requests_page(
    request: Request, state: str | None = Query(None, max_length=16), db: Session = Depends(get_db)
):
    """Public data requests with the departments' answers, and the form to ask for a dataset."""
    return _render(request, db, "opendata/requests.html", _requests_context(db, request, state or None))


@router.post("/open/requests", dependencies=[Depends(portal_csrf)])
def create_request(
    request: Request,
    title: str = Form("", max_length=400),
    description: str = Form("", max_length=4000),
    department_id: str = Form("", max_length=12),
    user: PortalUser | None = Depends(optional_portal_user),
    db: Session = Depends(get_db),
):
    values = {"title": title, "description": description, "department_id": department_id}
    try:
        user = _need_login(user)
        dept = int(department_id) if department_id.strip().isdigit() else None
        interaction.create_request(db, user=user, title=title, description=description, department_id=dept)
    except AppError as err:
        lang = request_language(request)
        return _render(
            request,
            db,
            "opendata/requests.html",
            _requests_context(
                db, request, None, errors={(err.field or "_form"): err.message(lang)}, values=values
            ),
            status_code=err.status,
        )
    return flash(
        request, RedirectResponse("/open/requests", status_code=303), "数据需求已提交，部门将公开答复"
    )


def _apps_context(db: Session, request: Request, **extra) -> dict:
    lang = request_language(request)
    ctx = {
        "items": [interaction.app_out(a, lang) for a in interaction.list_apps(db)],
        "errors": {},
        "values": {},
        "breadcrumbs": [("开放数据", "/open"), ("应用展示", None)],
    }
    ctx.update(extra)
    return ctx


@router.get("/open/apps")
def apps_page(request: Request, db: Session = Depends(get_db)):
    """Apps built on the city's open data, and the form to submit one."""
    return _render(request, db, "opendata/apps.html", _apps_context(db, request))


@router.post("/open/apps", dependencies=[Depends(portal_csrf)])
def submit_app(
    request: Request,
    name: str = Form("", max_length=200),
    description: str = Form("", max_length=4000),
    url: str = Form("", max_length=1000),
    user: PortalUser | None = Depends(optional_portal_user),
    db: Session = Depends(get_db),
):
    values = {"name": name, "description": description, "url": url}
    try:
        interaction.submit_app(db, user=_need_login(user), name=name, description=description, url=url)
    except AppError as err:
        lang = request_language(request)
        return _render(
            request,
            db,
            "opendata/apps.html",
            _apps_context(db, request, errors={(err.field or "_form"): err.message(lang)}, values=values),
            status_code=err.status,
        )
    return flash(request, RedirectResponse("/open/apps", status_code=303), "应用已提交，审核通过后展示")
