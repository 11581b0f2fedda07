"""Request bodies refused before they are read: an upload without credentials, a declared length over the limit,
and a body streamed (chunked) past it are answered at once, and the connection is closed behind them.

Plain ASGI (the body is counted as it arrives, never buffered here). A route that takes a file (a FastAPI
`File(...)` parameter) may receive `max_upload_mb` (plus a megabyte for the multipart envelope); every other
request `max_body_mb`. FastAPI reads a form body before any dependency runs, so the checks must come first.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable
from functools import partial

from fastapi import FastAPI, Request
from fastapi.params import File
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zhicheng.core.errors import AppError, Forbidden, TooLarge, Unauthorized

MB = 1024 * 1024
ENVELOPE = MB  # the multipart boundaries and the other fields of an upload form
CSRF_HEADER = "x-csrf-token"


class _BodyTooLarge(Exception):
    """Raised into the app by `receive` when the body has passed the limit."""


def _routes(routes, prefix: str = ""):
    """(prefix, route) of every route, into included routers (FastAPI keeps each as a branch)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            context = getattr(route, "include_context", None)
            yield from _routes(inner.routes, prefix + (getattr(context, "prefix", "") or ""))
        else:
            yield prefix, route


def upload_routes(app) -> list[tuple[re.Pattern, frozenset[str]]]:
    """(path pattern, methods) of every route that takes a file."""
    found = []
    for prefix, route in _routes(app.routes):
        dependant = getattr(route, "dependant", None)
        if dependant is not None and any(isinstance(f.field_info, File) for f in dependant.body_params):
            found.append((compile_path(prefix + route.path)[0], frozenset(route.methods or ())))
    return found


class BodyLimitMiddleware:
    """Counts each request's body as it arrives and answers 401/403/413 before reading what it need not."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._uploads: list[tuple[re.Pattern, frozenset[str]]] | None = None

    def _is_upload(self, scope: Scope) -> bool:
        if self._uploads is None:
            self._uploads = upload_routes(scope["app"])
        path, method = scope["path"], scope["method"]
        return any(method in methods and pattern.match(path) for pattern, methods in self._uploads)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = scope["method"] in ("POST", "PUT", "PATCH") and self._is_upload(scope)
        headers = dict(scope.get("headers") or ())
        if not upload and b"content-length" not in headers and b"transfer-encoding" not in headers:
            await self.app(scope, receive, send)  # no body
            return
        settings = scope["app"].state.settings  # read per request: a changed setting holds at once
        limit = settings.max_upload_mb * MB + ENVELOPE if upload else settings.max_body_mb * MB
        too_large = partial(_too_large, settings, upload)
        refusal = self._refusal(scope, upload, limit, too_large)
        if refusal is not None:
            await _answer(scope, receive, send, refusal)
            return
        await self._counted(scope, receive, send, limit, too_large)

    def _refusal(self, scope: Scope, upload: bool, limit: int, too_large: Callable[[], AppError]) -> AppError | None:
        """What to answer without reading the body: None when the request may go on."""
        if upload:
            state = scope.get("state") or {}
            actor = state.get("actor")
            if actor is None or not actor.is_authenticated:
                return Unauthorized("请先登录再上传文件", "log in before uploading a file", code="login_required",
                                    headers={"WWW-Authenticate": "Bearer"})
            sent = _header(scope, CSRF_HEADER)
            expected = state.get("csrf_token") or ""
            if actor.via not in ("token", "apikey") and sent is not None and not (
                    expected and hmac.compare_digest(sent.encode(), expected.encode())):
                return Forbidden("页面已过期或请求来源不明（CSRF 校验失败），请刷新页面后重试",
                                 "the page has expired or the request is forged (CSRF check failed); reload and retry",
                                 code="csrf_failed", field="csrf_token")
        length = _header(scope, "content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            return too_large()
        return None

    async def _counted(self, scope: Scope, receive: Receive, send: Send, limit: int,
                       too_large: Callable[[], AppError]) -> None:
        received = 0
        over = False
        started = False

        async def counted_receive() -> Message:
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    over = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if over:  # whatever the app makes of the cut body, the answer is 413
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not over:
                raise
        if over and not started:
            await _answer(scope, receive, send, too_large())


def _too_large(settings, upload: bool) -> TooLarge:
    if upload:
        mb = settings.max_upload_mb
        return TooLarge(f"文件过大：上限为 {mb} MB", f"file too large: the limit is {mb} MB", field="file")
    mb = settings.max_body_mb
    return TooLarge(f"请求内容过大：上限为 {mb} MB", f"request body too large: the limit is {mb} MB")


def _header(scope: Scope, name: str) -> str | None:
    wanted = name.encode()
    for key, value in scope.get("headers") or ():
        if key.lower() == wanted:
            return value.decode("latin-1").strip()
    return None


async def _answer(scope: Scope, receive: Receive, send: Send, err: AppError) -> None:
    """The error as the app renders it (problem+json, or a page), with the connection closed behind it: what
    the client still sends is not read."""
    from zhicheng.web.errors import respond

    response = respond(Request(scope), err)
    response.headers["Connection"] = "close"
    await response(scope, receive, send)


def install(app: FastAPI) -> None:
    """Attach the limits (inside the middleware that sets `request.state.actor`)."""
    app.add_middleware(BodyLimitMiddleware)
