"""Who is asking: resolves the session cookie, bearer token or API key of every request into an Actor."""

from __future__ import annotations

import secrets

from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.types import Receive, Scope, Send

from zhicheng.accounts import security
from zhicheng.accounts.tokens import Resolved, resolve_api_key, resolve_token
from zhicheng.core.actor import ANONYMOUS
from zhicheng.core.errors import Unauthorized

SESSION_COOKIE = "zhicheng_session"
CSRF_COOKIE = "zhicheng_csrf"  # nonce of a visitor not logged in; their CSRF token is its HMAC
API_KEY_HEADER = "x-api-key"
PORTAL_KEY_MARK = "zco_"

_ERRORS = {
    "invalid_token": ("令牌无效或已被撤销", "the token or API key is invalid or has been revoked"),
    "token_expired": ("令牌已过期，请重新登录或申请新令牌", "the token has expired; log in or get a new one"),
}


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer` header, if any."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def _resolve(request: Request, factory) -> tuple[Resolved, bool]:
    """(what the credential is, whether it was presented explicitly in a header)."""
    key = request.headers.get(API_KEY_HEADER)
    bearer = bearer_token(request)
    # open-data portal keys (zco_...) are not staff credentials: zhicheng.opendata.access checks them
    key = None if key and key.strip().startswith(PORTAL_KEY_MARK) else key
    bearer = None if bearer and bearer.startswith(PORTAL_KEY_MARK) else bearer
    cookie = request.cookies.get(SESSION_COOKIE)
    if not (key or bearer or cookie):
        return Resolved(ANONYMOUS), False
    with factory() as db:
        if key:
            return resolve_api_key(db, key=key.strip()), True
        if bearer:
            return resolve_token(db, token=bearer, kind="bearer"), True
        return resolve_token(db, token=cookie, kind="session"), False


def _secret(app: FastAPI) -> str:
    secret = getattr(app.state, "accounts_secret", None)
    if secret is None:
        secret = app.state.accounts_secret = app.state.settings.signing_key()
    return secret


class ActorMiddleware(BaseHTTPMiddleware):
    """The actor middleware; an API call carrying a bearer token or an API key takes a lean path: it has no
    cookie to set or forget, so its response is passed through untouched instead of being re-streamed."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/api/"):
            request = Request(scope, receive)
            if request.headers.get(API_KEY_HEADER) or bearer_token(request):
                resolved, _ = await run_in_threadpool(_resolve, request, request.app.state.sessionmaker)
                if resolved.error:
                    await _refusal(request, resolved.error)(scope, receive, send)
                    return
                request.state.actor = resolved.actor
                request.state.csrf_token = resolved.csrf_token or ""
                await self.app(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def _refusal(request: Request, error: str):
    from zhicheng.web.errors import respond

    zh, en = _ERRORS[error]
    return respond(request, Unauthorized(zh, en, code=error, headers={
        "WWW-Authenticate": f'Bearer error="invalid_token", error_description="{en}"'}))


def install(app: FastAPI) -> None:
    """Attach the middleware that sets `request.state.actor` and `request.state.csrf_token`."""

    async def resolve_actor(request: Request, call_next):
        path = request.url.path
        if path.startswith("/static/"):
            request.state.actor, request.state.csrf_token = ANONYMOUS, ""
            return await call_next(request)
        resolved, explicit = await run_in_threadpool(_resolve, request, request.app.state.sessionmaker)
        if resolved.error and explicit:
            return _refusal(request, resolved.error)
        actor = resolved.actor or ANONYMOUS
        request.state.actor = actor
        new_nonce = None
        if actor.is_authenticated:
            request.state.csrf_token = resolved.csrf_token or ""
        else:
            nonce = request.cookies.get(CSRF_COOKIE)
            if not nonce or len(nonce) > 64:
                nonce = new_nonce = secrets.token_urlsafe(24)
            request.state.csrf_token = security.anonymous_csrf(_secret(request.app), nonce)
            request.state.csrf_nonce = nonce
        response = await call_next(request)
        secure = request.app.state.settings.secure_cookies
        if new_nonce and not path.startswith("/api/"):
            response.set_cookie(CSRF_COOKIE, new_nonce, httponly=True, samesite="lax", secure=secure, path="/")
        if resolved.error and not explicit and not any(  # a dead session cookie, not replaced: forget it
                c.startswith(SESSION_COOKIE + "=") for c in response.headers.getlist("set-cookie")):
            response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    app.add_middleware(ActorMiddleware, dispatch=resolve_actor)
