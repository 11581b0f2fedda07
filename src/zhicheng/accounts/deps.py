"""Route dependencies: the acting user, required login and roles, and CSRF protection of cookie requests."""

from __future__ import annotations

import hmac
from urllib.parse import quote

from fastapi import Depends, Request

from zhicheng.core.actor import ANONYMOUS, Actor
from zhicheng.core.errors import AppError, Forbidden, Unauthorized
from zhicheng.policy.service import Target, decide

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def current_actor(request: Request) -> Actor:
    """The actor of this request (ANONYMOUS when nobody is logged in)."""
    return getattr(request.state, "actor", None) or ANONYMOUS


def _wants_page(request: Request) -> bool:
    from zhicheng.web.errors import wants_html

    return wants_html(request)


def login_url(request: Request) -> str:
    """/login?next=<this page>."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return "/login?next=" + quote(target, safe="/")


def require_user(request: Request) -> Actor:
    """The logged-in actor; otherwise 401 problem+json, or for a page a 303 to /login?next=."""
    actor = current_actor(request)
    if actor.is_authenticated:
        return actor
    if _wants_page(request):
        raise AppError("请先登录", "please log in first", code="login_required", status=303,
                       headers={"Location": login_url(request)})
    raise Unauthorized("请先登录", "please log in first", code="login_required",
                       headers={"WWW-Authenticate": "Bearer"})


def require_allowed(action: str, kind: str):
    """A dependency returning the actor if policy lets them do `action` on `kind` as a whole (403 otherwise)."""
    def dependency(actor: Actor = Depends(require_user)) -> Actor:
        if not decide(actor, action, Target(kind)).allowed:
            raise Forbidden("没有权限执行此操作", "you are not allowed to do this", code="forbidden")
        return actor

    return dependency


async def sent_csrf_token(request: Request) -> str | None:
    """The CSRF token a request carries: its `X-CSRF-Token` header, else its form's `csrf_token` field."""
    sent = request.headers.get(CSRF_HEADER)
    if not sent:
        ctype = request.headers.get("content-type", "")
        if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    return sent


async def csrf_protect(request: Request) -> None:
    """Refuse a state-changing request from a browser (cookie or anonymous) without the right CSRF token."""
    actor = current_actor(request)
    if actor.via in ("token", "apikey"):
        return
    expected = getattr(request.state, "csrf_token", "") or ""
    sent = await sent_csrf_token(request)
    if not expected or not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise Forbidden("页面已过期或请求来源不明（CSRF 校验失败），请刷新页面后重试",
                        "the page has expired or the request is forged (CSRF check failed); reload and retry",
                        code="csrf_failed", field=CSRF_FIELD)
