"""Error handlers: problem+json (RFC 9457) on the API, a readable page in the user's language elsewhere."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from zhicheng.core.errors import AppError
from zhicheng.web.i18n import request_language
from zhicheng.web.negotiation import prefers_html

log = logging.getLogger("zhicheng")
PROBLEM = "application/problem+json"

_HTTP_ZH = {400: "请求有误", 401: "需要登录", 403: "没有权限", 404: "页面或资源不存在", 405: "不支持该请求方法",
            413: "上传内容过大", 429: "请求过于频繁", 500: "服务器内部错误"}


def wants_html(request: Request) -> bool:
    path = request.url.path
    if path.startswith("/api") or path.endswith((".json", ".jsonld", ".ttl", ".rdf")):
        return False
    return prefers_html(request.headers.get("accept"))


def respond(request: Request, err: AppError) -> Response:
    lang = request_language(request)
    if wants_html(request):
        from zhicheng.web.templating import render

        resp = render(request, "error.html", {"error": err, "message": err.message(lang)}, status_code=err.status)
        resp.headers.update(err.headers)
        return resp
    return JSONResponse(err.problem(lang, instance=request.url.path), status_code=err.status,
                        media_type=PROBLEM, headers=err.headers)


def app_error_of(request: Request, exc: Exception) -> AppError:
    """What a user is told of an exception that is not an AppError (an unexpected one is logged)."""
    if isinstance(exc, AppError):
        return exc
    if isinstance(exc, (OverflowError, DataError)):
        # a number larger than the database can hold (a huge id in a path or body): the input is at fault
        return AppError("输入的数值超出范围", "a number in the input is out of range", code="out_of_range", status=422)
    if isinstance(exc, OperationalError) and "locked" in str(exc).lower():
        # SQLite holds one writer at a time: a long import can outlast the busy timeout
        log.warning("database busy on %s %s", request.method, request.url.path)
        return AppError("平台正忙（可能正在导入大批数据），请稍后重试", "the platform is busy (a large import may be "
                        "running); please try again shortly", code="busy", status=503, headers={"Retry-After": "10"})
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return AppError("服务器内部错误，已记录，请稍后再试", "Internal error; it has been logged", code="internal", status=500)


def _field(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie", "form")]
    return ".".join(parts) or ".".join(str(p) for p in loc)


def install(app: FastAPI) -> None:
    """Attach the handlers: a user never sees a traceback."""

    @app.exception_handler(AppError)
    async def app_error(request: Request, exc: AppError):
        return respond(request, exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        errors = [{"field": _field(tuple(e.get("loc", ()))), "message": e.get("msg", ""), "type": e.get("type")}
                  for e in exc.errors()]
        first = errors[0]["field"] if errors else None
        err = AppError(f"输入有误：{first}", f"Invalid input: {first}", code="invalid", status=422,
                       field=first, errors=errors)
        return respond(request, err)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        zh = _HTTP_ZH.get(exc.status_code, "请求失败")
        en = str(exc.detail) if exc.detail else "Request failed"
        err = AppError(zh, en, code=f"http_{exc.status_code}", status=exc.status_code,
                       headers=dict(exc.headers or {}))
        return respond(request, err)

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    @app.exception_handler(OperationalError)
    @app.exception_handler(Exception)
    async def other_error(request: Request, exc: Exception):
        return respond(request, app_error_of(request, exc))
