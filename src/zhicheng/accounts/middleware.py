"""Who is asking: resolves the session cookie, bearer token or API key of every request into an Actor."""

from __future__ import annotations

import secrets

from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zhicheng.accounts import security
from zhicheng.accounts.tokens import Resolved, resolve_api_key, resolve_token
from zhicheng.core.actor import ANONYMOUS
from zhicheng.core.errors import Unauthorized

SESSION_COOKIE = "zhicheng_session"
CSRF_COOKIE = "zhicheng_csrf"  # nonce of a visitor not logged in; their CSRF token is its HMAC
API_KEY_HEADER = "x-api-key"
PORTAL_KEY_MARK = "zco_"
DEVICE_TOKEN_MARK = "zcd_"  # an IoT device's token: zhicheng.iot.device_auth checks it on the ingest routes

_ERRORS = {
    "invalid_token": ("令牌无效或已被撤销", "the token or API key is invalid or has been revoked"),
    "token_expired": ("令牌已过期，请重新登录或申请新令牌", "the token has expired; log in or get a new one"),
}


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer` header, if any."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def credentials(request: Request) -> tuple[str | None, str | None, str | None]:
    """The staff credentials a request presents: (API key, bearer token, session cookie), each or None."""
    key = request.headers.get(API_KEY_HEADER)
    bearer = bearer_token(request)
    # open-data portal keys (zco_...) and device tokens (zcd_...) are not staff credentials: zhicheng.opendata.access
    # and zhicheng.iot.device_auth check them
    key = None if key and key.strip().startswith(PORTAL_KEY_MARK) else key
    bearer = None if bearer and bearer.startswith((PORTAL_KEY_MARK, DEVICE_TOKEN_MARK)) else bearer
    return key, bearer, request.cookies.get(SESSION_COOKIE)


def _resolve(request: Request, factory) -> tuple[Resolved, bool]:
    """(what the credential is, whether it was presented explicitly in a header)."""
    key, bearer, cookie = credentials(request)
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


def refusal(request: Request, error: str):
    from zhicheng.web.errors import respond

    zh, en = _ERRORS[error]
    return respond(request, Unauthorized(zh, en, code=error, headers={
        "WWW-Authenticate": f'Bearer error="invalid_token", error_description="{en}"'}))


def _cookie_header(name: str, value: str = "", *, forget: bool = False, secure: bool = False) -> tuple[bytes, bytes]:
    """One Set-Cookie header, as Starlette's Response writes it."""
    r = Response()
    if forget:
        r.delete_cookie(name, path="/")
    else:
        r.set_cookie(name, value, httponly=True, samesite="lax", secure=secure, path="/")
    return next((k, v) for k, v in r.raw_headers if k == b"set-cookie")


class ActorMiddleware:
    """Sets `request.state.actor` and `request.state.csrf_token` on every request, as plain ASGI: the response
    passes through untouched except for the CSRF cookie of a new visitor's page and the removal of a dead session
    cookie, added to its headers. A request without any credential costs no database read and no worker thread."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        path = scope["path"]
        if path.startswith("/static/"):
            state["actor"], state["csrf_token"] = ANONYMOUS, ""
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        if any(credentials(request)):
            resolved, explicit = await run_in_threadpool(_resolve, request, request.app.state.sessionmaker)
        else:
            resolved, explicit = Resolved(ANONYMOUS), False
        if resolved.error and explicit:
            await refusal(request, resolved.error)(scope, receive, send)
            return
        actor = resolved.actor or ANONYMOUS
        state["actor"] = actor
        new_nonce = None
        if actor.is_authenticated:
            state["csrf_token"] = resolved.csrf_token or ""
        else:
            nonce = request.cookies.get(CSRF_COOKIE)
            if not nonce or len(nonce) > 64:
                nonce = new_nonce = secrets.token_urlsafe(24)
            state["csrf_token"] = security.anonymous_csrf(_secret(request.app), nonce)
            state["csrf_nonce"] = nonce
        give_nonce = bool(new_nonce) and not path.startswith("/api/")
        forget_session = bool(resolved.error) and not explicit
        if not (give_nonce or forget_session):
            await self.app(scope, receive, send)
            return
        secure = request.app.state.settings.secure_cookies

        async def send_with_cookies(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", []))
                if give_nonce:
                    raw.append(_cookie_header(CSRF_COOKIE, new_nonce, secure=secure))
                if forget_session and not any(  # a dead session cookie, not replaced: forget it
                        k.lower() == b"set-cookie" and v.startswith(SESSION_COOKIE.encode() + b"=") for k, v in raw):
                    raw.append(_cookie_header(SESSION_COOKIE, forget=True))
                message = {**message, "headers": raw}
            await send(message)

        await self.app(scope, receive, send_with_cookies)


def install(app: FastAPI) -> None:
    """Attach the middleware that sets `request.state.actor` and `request.state.csrf_token`."""
    app.add_middleware(ActorMiddleware)
