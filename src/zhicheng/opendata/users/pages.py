"""Portal pages of registered users: register, log in and out, my applications and API keys, apply for a
有条件开放 dataset, rate and comment. Forms post back to themselves; errors show beside the field."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, Path, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from zhicheng.core.errors import AppError
from zhicheng.opendata import access, service
from zhicheng.opendata.api import set_session_cookie
from zhicheng.opendata.deps import portal_csrf, portal_session_user
from zhicheng.opendata.users import service as accounts
from zhicheng.opendata.users.models import PortalUser
from zhicheng.web import one_time
from zhicheng.web.deps import get_db
from zhicheng.web.flash import flash
from zhicheng.web.i18n import request_language
from zhicheng.web.pages import safe_next
from zhicheng.web.routing import APIRouter

router = APIRouter(include_in_schema=False)
ResourceId = Annotated[int, Path(ge=1, le=2_147_483_647)]
KeyId = Annotated[int, Path(ge=1, le=2_147_483_647)]
REGISTER_FIELDS = ("kind", "username", "display_name", "id_number", "phone", "email")


def _render(request, db, name, ctx, status_code=200):
    from zhicheng.opendata.pages import portal_render

    return portal_render(request, db, name, ctx, status_code=status_code)


def errors_of(request: Request, err: AppError) -> dict[str, str]:
    lang = request_language(request)
    return {(err.field or "_form"): err.message(lang)}


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.get("/open/register")
def register_form(request: Request, db: Session = Depends(get_db)):
    return _render(
        request,
        db,
        "opendata/register.html",
        {
            "errors": {},
            "values": {"kind": "citizen"},
            "kinds": accounts.USER_KINDS,
            "breadcrumbs": [("开放数据", "/open"), ("注册", None)],
        },
    )


@router.post("/open/register", dependencies=[Depends(portal_csrf)])
def register(
    request: Request,
    kind: str = Form("citizen", max_length=16),
    username: str = Form("", max_length=64),
    password: str = Form("", max_length=200),
    display_name: str = Form("", max_length=200),
    id_number: str = Form("", max_length=40),
    phone: str = Form("", max_length=40),
    email: str = Form("", max_length=300),
    db: Session = Depends(get_db),
):
    """Register, then log in straight away."""
    values = {
        "kind": kind,
        "username": username,
        "display_name": display_name,
        "id_number": id_number,
        "phone": phone,
        "email": email,
    }
    try:
        user = accounts.register(
            db,
            settings=request.app.state.settings,
            kind=kind,
            username=username,
            password=password,
            display_name=display_name,
            id_number=id_number,
            phone=phone,
            email=email,
            ip=access.client_ip(request),
        )
    except AppError as err:
        db.rollback()
        return _render(
            request,
            db,
            "opendata/register.html",
            {
                "errors": errors_of(request, err),
                "values": values,
                "kinds": accounts.USER_KINDS,
                "breadcrumbs": [("开放数据", "/open"), ("注册", None)],
            },
            status_code=err.status,
        )
    token, _sess = accounts.start_session(db, user=user)
    response = _see_other("/open/me")
    set_session_cookie(request, response, token)
    return flash(request, response, "注册成功，欢迎使用开放平台")


@router.get("/open/login")
def login_form(request: Request, next: str | None = None, db: Session = Depends(get_db)):  # noqa: A002
    return _render(
        request,
        db,
        "opendata/login.html",
        {
            "errors": {},
            "username": "",
            "next": safe_next(next, "/open/me"),
            "breadcrumbs": [("开放数据", "/open"), ("登录", None)],
        },
    )


@router.post("/open/login", dependencies=[Depends(portal_csrf)])
def login(
    request: Request,
    username: str = Form("", max_length=64),
    password: str = Form("", max_length=200),
    next: str = Form("/open/me", max_length=500),
    db: Session = Depends(get_db),
):  # noqa: A002
    target = safe_next(next, "/open/me")
    try:
        user = accounts.authenticate(
            db,
            settings=request.app.state.settings,
            username=username,
            password=password,
            ip=access.client_ip(request),
        )
    except AppError as err:
        return _render(
            request,
            db,
            "opendata/login.html",
            {
                "errors": errors_of(request, err),
                "username": username,
                "next": target,
                "breadcrumbs": [("开放数据", "/open"), ("登录", None)],
            },
            status_code=err.status,
        )
    token, _sess = accounts.start_session(db, user=user)
    response = _see_other(target)
    set_session_cookie(request, response, token)
    return response


@router.post("/open/logout", dependencies=[Depends(portal_csrf)])
def logout(request: Request, db: Session = Depends(get_db)):
    accounts.end_session(db, request.cookies.get(accounts.SESSION_COOKIE))
    response = _see_other("/open")
    response.delete_cookie(accounts.SESSION_COOKIE, path="/")
    return response


def _me_context(db: Session, request: Request, user: PortalUser, **extra) -> dict:
    lang = request_language(request)
    ctx = {
        "profile": accounts.profile(user),
        "kinds": accounts.USER_KINDS,
        "applications": [
            service.application_out(a, lang) for a in service.my_applications(db, user_id=user.id)
        ],
        "keys": [service.key_out(k) for k in service.list_keys(db, user_id=user.id)],
        "new_key": None,
        "errors": {},
        "breadcrumbs": [("开放数据", "/open"), ("我的开放平台", None)],
    }
    ctx.update(extra)
    return ctx


@router.get("/open/me")
def me(request: Request, user: PortalUser = Depends(portal_session_user), db: Session = Depends(get_db)):
    """My account: applications with their answers, my API keys (a new key shown here once, after its POST)."""
    new = one_time.take(request, owner=f"open:{user.id}") or {}
    ctx = _me_context(db, request, user, new_key=new.get("key"), new_key_id=new.get("id"))
    return one_time.shown(request, _render(request, db, "opendata/me.html", ctx), path="/open/me")


def _show_once(request: Request, user: PortalUser, key: str, key_id: int):
    """POST-redirect-GET: the new key goes to /open/me in an encrypted one-time cookie, never into a POST's page."""
    return one_time.keep(request, _see_other("/open/me#keys"), {"key": key, "id": key_id},
                         owner=f"open:{user.id}", path="/open/me")


@router.post("/open/me/keys", dependencies=[Depends(portal_csrf)])
def create_key(
    request: Request,
    name: str = Form("", max_length=200),
    expires_days: int = Form(365, ge=1, le=3650),
    user: PortalUser = Depends(portal_session_user),
    db: Session = Depends(get_db),
):
    """Create a key and show it this once."""
    try:
        row, key = service.create_key(db, user=user, name=name, expires_days=expires_days)
    except AppError as err:
        return _render(
            request,
            db,
            "opendata/me.html",
            _me_context(db, request, user, errors=errors_of(request, err)),
            status_code=err.status,
        )
    return _show_once(request, user, key, row.id)


@router.post("/open/me/keys/{key_id}/rotate", dependencies=[Depends(portal_csrf)])
def rotate_key(
    key_id: KeyId,
    request: Request,
    user: PortalUser = Depends(portal_session_user),
    db: Session = Depends(get_db),
):
    row, key = service.rotate_key(db, user=user, key_id=key_id)
    return _show_once(request, user, key, row.id)


@router.post("/open/me/keys/{key_id}/revoke", dependencies=[Depends(portal_csrf)])
def revoke_key(
    key_id: KeyId,
    request: Request,
    user: PortalUser = Depends(portal_session_user),
    db: Session = Depends(get_db),
):
    service.revoke_key(db, user=user, key_id=key_id)
    return flash(request, _see_other("/open/me#keys"), "密钥已吊销")


@router.get("/open/datasets/{resource_id}/apply")
def apply_form(
    resource_id: ResourceId,
    request: Request,
    user: PortalUser = Depends(portal_session_user),
    db: Session = Depends(get_db),
):
    doc = service.open_document(db, resource_id)
    return _render(
        request,
        db,
        "opendata/apply.html",
        {
            "r": doc,
            "errors": {},
            "purpose": "",
            "breadcrumbs": [
                ("开放数据", "/open"),
                (doc["name"], f"/open/datasets/{resource_id}"),
                ("申请使用", None),
            ],
        },
    )


@router.post("/open/datasets/{resource_id}/apply", dependencies=[Depends(portal_csrf)])
def apply(
    resource_id: ResourceId,
    request: Request,
    purpose: str = Form("", max_length=4000),
    user: PortalUser = Depends(portal_session_user),
    db: Session = Depends(get_db),
):
    """Apply with a purpose; the providing department decides."""
    doc = service.open_document(db, resource_id)
    try:
        service.apply(db, user=user, resource_id=resource_id, purpose=purpose, ip=access.client_ip(request))
    except AppError as err:
        return _render(
            request,
            db,
            "opendata/apply.html",
            {
                "r": doc,
                "errors": errors_of(request, err),
                "purpose": purpose,
                "breadcrumbs": [
                    ("开放数据", "/open"),
                    (doc["name"], f"/open/datasets/{resource_id}"),
                    ("申请使用", None),
                ],
            },
            status_code=err.status,
        )
    return flash(request, _see_other("/open/me"), "申请已提交，请等待数据提供部门审批")


@router.post("/open/datasets/{resource_id}/rate", dependencies=[Depends(portal_csrf)])
def rate(
    resource_id: ResourceId,
    request: Request,
    stars: int = Form(..., ge=1, le=5),
    user: PortalUser = Depends(portal_session_user),
    db: Session = Depends(get_db),
):
    from zhicheng.opendata.interaction import service as interaction

    interaction.rate(db, user=user, resource_id=resource_id, stars=stars)
    return flash(request, _see_other(f"/open/datasets/{resource_id}#rating"), "感谢您的评分")


@router.post("/open/datasets/{resource_id}/comments", dependencies=[Depends(portal_csrf)])
def comment(
    resource_id: ResourceId,
    request: Request,
    body: str = Form("", max_length=4000),
    user: PortalUser = Depends(portal_session_user),
    db: Session = Depends(get_db),
):
    from zhicheng.opendata.interaction import service as interaction

    try:
        interaction.add_comment(
            db, user=user, resource_id=resource_id, body=body, ip=access.client_ip(request)
        )
    except AppError as err:
        return flash(
            request, _see_other(f"/open/datasets/{resource_id}#comments"), err.message("zh-CN"), kind="error"
        )
    return flash(request, _see_other(f"/open/datasets/{resource_id}#comments"), "评论已提交，审核通过后显示")
