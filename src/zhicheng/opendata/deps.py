"""Route dependencies of the portal: the logged-in portal user (own cookie, or a portal key) and CSRF checks."""

from __future__ import annotations

import hmac

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from zhicheng.accounts.deps import sent_csrf_token
from zhicheng.core.errors import AppError, Forbidden, Unauthorized
from zhicheng.opendata import access
from zhicheng.opendata.users.models import PortalSession, PortalUser
from zhicheng.opendata.users.service import SESSION_COOKIE, session_user
from zhicheng.web.deps import get_db

CSRF_FIELD = "csrf_token"


def portal_session(request: Request, db: Session) -> tuple[PortalUser, PortalSession] | None:
    """The portal user and session of this request's cookie (cached on the request), or None."""
    if not hasattr(request.state, "open_session"):
        request.state.open_session = session_user(db, request.cookies.get(SESSION_COOKIE))
    return request.state.open_session


def optional_portal_user(request: Request, db: Session = Depends(get_db)) -> PortalUser | None:
    found = portal_session(request, db)
    return found[0] if found else None


def _login_required(request: Request) -> AppError:
    from urllib.parse import quote

    from zhicheng.web.errors import wants_html

    if wants_html(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return AppError(
            "请先登录开放平台",
            "please log in to the portal first",
            code="login_required",
            status=303,
            headers={"Location": "/open/login?next=" + quote(target, safe="/")},
        )
    return Unauthorized(
        "请先登录开放平台",
        "please log in to the portal first",
        code="login_required",
        headers={"WWW-Authenticate": "Bearer"},
    )


def portal_user(request: Request, db: Session = Depends(get_db)) -> PortalUser:
    """The portal user of the session cookie; a portal API key also identifies its owner (API only)."""
    found = portal_session(request, db)
    if found:
        return found[0]
    key = access.presented_key(request)
    if key and key.startswith(access.KEY_PREFIX + "_") and request.url.path.startswith("/api/"):
        _pk, user = access.resolve_key(db, key)
        request.state.open_via_key = True
        return user
    raise _login_required(request)


def portal_session_user(request: Request, db: Session = Depends(get_db)) -> PortalUser:
    """The portal user of the session cookie only (keys cannot manage keys)."""
    found = portal_session(request, db)
    if not found:
        raise _login_required(request)
    return found[0]


def page_csrf_token(request: Request, db: Session) -> str:
    """The CSRF token pages of this request carry: the portal session's, else the site's."""
    found = portal_session(request, db)
    return found[1].csrf_token if found else (getattr(request.state, "csrf_token", "") or "")


def _csrf_exempt(request: Request) -> bool:
    """A portal key or a staff token/API key: not a browser's request."""
    actor = getattr(request.state, "actor", None)
    return (access.presented_key(request) or "").startswith(access.KEY_PREFIX + "_") or (
        actor is not None and actor.via in ("token", "apikey")
    )


async def _sent_csrf(request: Request) -> str | None:
    """The token a browser request carries, its form read here on the event loop (nothing for exempt requests)."""
    return None if _csrf_exempt(request) else await sent_csrf_token(request)


def portal_csrf(request: Request, sent: str | None = Depends(_sent_csrf), db: Session = Depends(get_db)) -> None:
    """Refuse a state-changing browser request without the right CSRF token (key and token requests exempt); a
    plain `def`, so the portal session is read on a worker thread, never on the event loop."""
    if _csrf_exempt(request):
        return
    expected = [page_csrf_token(request, db), getattr(request.state, "csrf_token", "") or ""]
    if not sent or not any(e and hmac.compare_digest(sent.encode(), e.encode()) for e in expected):
        raise Forbidden(
            "页面已过期或请求来源不明（CSRF 校验失败），请刷新页面后重试",
            "the page has expired or the request is forged (CSRF check failed); reload and retry",
            code="csrf_failed",
            field=CSRF_FIELD,
        )
