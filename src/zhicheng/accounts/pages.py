"""Accounts pages: log in and out, my account (password, API keys); the admin screens come from admin_pages."""

from __future__ import annotations

from fastapi import Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from zhicheng.accounts import admin_pages, service
from zhicheng.accounts.deps import csrf_protect, current_actor, require_user
from zhicheng.accounts.guard import authorize
from zhicheng.accounts.middleware import SESSION_COOKIE
from zhicheng.accounts.roles import ROLE_NAMES
from zhicheng.core.actor import Actor
from zhicheng.core.errors import AppError
from zhicheng.web import one_time
from zhicheng.web.deps import get_db
from zhicheng.web.flash import flash
from zhicheng.web.i18n import request_language
from zhicheng.web.pages import safe_next
from zhicheng.web.routing import APIRouter
from zhicheng.web.templating import render

router = APIRouter(include_in_schema=False)
router.include_router(admin_pages.router)


def form_errors(request: Request, err: AppError) -> dict[str, str]:
    """The error keyed by the field it belongs to ('_form' when it names none), in the page's language."""
    return {err.field or "_form": err.message(request_language(request))}


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.get("/login")
def login_page(request: Request, next: str | None = None):  # noqa: A002 - the query name
    """The login form (already logged in: straight on to `next`)."""
    if current_actor(request).is_authenticated:
        return see_other(safe_next(next))
    return render(request, "accounts/login.html", {"errors": {}, "username": "", "next": safe_next(next)})


@router.post("/login", dependencies=[Depends(csrf_protect)])
def login_submit(request: Request, db: Session = Depends(get_db), username: str = Form(""),
                 password: str = Form(""), next: str = Form("")):  # noqa: A002 - the form field's name
    """Check the credentials, open a cookie session and go on to `next`."""
    username = username.strip()
    target = safe_next(next or None)
    ip = request.client.host if request.client else None
    errors: dict[str, str] = {}
    if not username:
        errors["username"] = _msg(request, "请填写用户名", "enter your username")
    if not password:
        errors["password"] = _msg(request, "请填写密码", "enter your password")
    if not errors:
        try:
            user = service.authenticate(db, username=username, password=password, ip=ip,
                                        settings=request.app.state.settings)
        except AppError as err:
            errors = form_errors(request, err)
        else:
            token = service.issue_token(db, user=user, kind="session", ip=ip, settings=request.app.state.settings,
                                        user_agent=request.headers.get("user-agent"))
            response = see_other(target)
            settings = request.app.state.settings
            response.set_cookie(SESSION_COOKIE, token, max_age=settings.session_ttl_minutes * 60, httponly=True,
                                samesite="lax", secure=settings.secure_cookies, path="/")
            return response
    return render(request, "accounts/login.html", {"errors": errors, "username": username, "next": target},
                  status_code=401 if "password" in errors and password else 422)


def _msg(request: Request, zh: str, en: str) -> str:
    return en if request_language(request) == "en" else zh


@router.post("/logout", dependencies=[Depends(csrf_protect)])
def logout(request: Request, db: Session = Depends(get_db)):
    """End this cookie session and go to the home page."""
    actor = current_actor(request)
    token = request.cookies.get(SESSION_COOKIE)
    if token and actor.is_authenticated:
        service.logout(db, actor=actor, token=token, ip=request.client.host if request.client else None)
    response = see_other("/")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _account_context(db: Session, actor: Actor, **extra) -> dict:
    user = service.get_user(db, actor.user_id)
    authorize(actor, "read", "accounts.apikey", attrs={"owner_user_id": actor.user_id})
    ctx = {"user": user, "keys": service.list_api_keys(db, user_id=user.id), "role_names": ROLE_NAMES,
           "errors": {}, "new_key": None, "breadcrumbs": [("我的账户", None)]}
    ctx.update(extra)
    return ctx


@router.get("/account")
def account(request: Request, actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    """My account: who I am, change my password, my API keys (a new key shown here once, after its POST)."""
    new = one_time.take(request, owner=f"staff:{actor.user_id}")
    ctx = _account_context(db, actor, new_key=new.get("key") if new else None)
    return one_time.shown(request, render(request, "accounts/account.html", ctx), path="/account")


@router.post("/account/password", dependencies=[Depends(csrf_protect)])
def account_password(request: Request, actor: Actor = Depends(require_user), db: Session = Depends(get_db),
                     old: str = Form("", alias="old_password"), new: str = Form("", alias="new_password"),
                     again: str = Form("", alias="new_password2")):
    """Change my password; other sessions end, this one stays."""
    try:
        if new != again:
            raise AppError("两次输入的新密码不一致", "the two new passwords differ", field="new_password2")
        service.change_password(db, actor=actor, old_password=old, new_password=new)
    except AppError as err:
        return render(request, "accounts/account.html",
                      _account_context(db, actor, errors=form_errors(request, err)), status_code=422)
    # change_password ended every session: give this browser a fresh one
    token = service.issue_token(db, user=service.get_user(db, actor.user_id), kind="session",
                                settings=request.app.state.settings, user_agent=request.headers.get("user-agent"))
    response = flash(request, see_other("/account"), "密码已修改")
    settings = request.app.state.settings
    response.set_cookie(SESSION_COOKIE, token, max_age=settings.session_ttl_minutes * 60, httponly=True,
                        samesite="lax", secure=settings.secure_cookies, path="/")
    return response


@router.post("/account/api-keys", dependencies=[Depends(csrf_protect)])
def account_create_key(request: Request, actor: Actor = Depends(require_user), db: Session = Depends(get_db),
                       name: str = Form(""), expires_days: str = Form("")):
    """Create an API key and show it once."""
    days = expires_days.strip()
    try:
        if days and not days.isdigit():
            raise AppError("有效期须为天数", "expiry must be a number of days", field="expires_days")
        created = service.create_api_key(db, actor=actor, name=name,
                                         expires_days=int(days) if days else None)
    except AppError as err:
        return render(request, "accounts/account.html",
                      _account_context(db, actor, errors=form_errors(request, err)), status_code=422)
    # POST-redirect-GET: the key goes to the GET in an encrypted one-time cookie, never into a POST's page
    return one_time.keep(request, see_other("/account#api-keys"), {"key": created.key},
                         owner=f"staff:{actor.user_id}", path="/account")


@router.post("/account/api-keys/{key_id}/revoke", dependencies=[Depends(csrf_protect)])
def account_revoke_key(key_id: int, request: Request, actor: Actor = Depends(require_user),
                       db: Session = Depends(get_db)):
    """Revoke one of my API keys."""
    service.revoke_api_key(db, actor=actor, id=key_id)
    return flash(request, see_other("/account"), "API 密钥已撤销")


def nav_entries(nav) -> None:
    """This domain's entries in the app shell's navigation (`nav` is a web.navigation.Navigation)."""
    nav.register_nav("system", "部门与用户", "/admin/departments", roles=("admin",), match="/admin", order=10)
    admin_pages.nav_entries(nav)
