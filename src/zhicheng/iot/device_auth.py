"""The door devices come in by: a place among the device writes in flight (503 beyond the bound), their token
(`Authorization: Bearer zcd_…`), their rate (429 past it, counted per device) and their JSON body, read only once
the token is known (the app's body limit has refused an oversized body before any of these)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from zhicheng.accounts.deps import csrf_protect, current_actor
from zhicheng.accounts.middleware import DEVICE_TOKEN_MARK, bearer_token
from zhicheng.core.errors import AppError, Forbidden, TooMany, Unauthorized
from zhicheng.core.ratelimit import RateLimiter, scope_of
from zhicheng.iot import tokens
from zhicheng.iot.models import Thing
from zhicheng.web.deps import get_db

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="zhicheng-iot"'}
BUSY_RETRY_SECONDS = 1


class Malformed(AppError):
    status, code = 400, "malformed_json"


class Busy(AppError):
    status, code = 503, "ingest_busy"


class _Gate:
    """How many device writes this process handles now, and how many it may (counted on the event loop: no lock)."""

    def __init__(self, bound: int) -> None:
        self.bound, self.busy = bound, 0


def _settings(request: Request):
    return getattr(request.app.state, "settings", None)


def gate(request: Request) -> _Gate:
    """The app's gate of device writes in flight, made once from `iot_ingest_max_in_flight`."""
    state = request.app.state
    found = getattr(state, "iot_ingest_gate", None)
    if found is None:
        found = state.iot_ingest_gate = _Gate(getattr(_settings(request), "iot_ingest_max_in_flight", 32))
    return found


def limiter(request: Request) -> RateLimiter:
    """The app's per-device rate limiter, counted where `rate_limit_storage` says (in memory: this process alone)."""
    state = request.app.state
    found = getattr(state, "iot_rate_limiter", None)
    if found is None:
        settings = _settings(request)
        storage = getattr(settings, "rate_limit_storage", "memory://")
        found = state.iot_rate_limiter = (RateLimiter() if storage.startswith("memory://") else
                                          RateLimiter(storage, scope=scope_of(settings.db_url)))
    return found


async def write_slot(request: Request):
    """A place among the device writes in flight for this request, or 503 with Retry-After: a full process
    answers at once rather than queue without bound."""
    slots = gate(request)
    if slots.busy >= slots.bound:
        raise Busy(f"写入繁忙（同时处理 {slots.bound} 个请求），请 {BUSY_RETRY_SECONDS} 秒后重试",
                   f"ingest busy ({slots.bound} requests in flight); retry in {BUSY_RETRY_SECONDS} s",
                   headers={"Retry-After": str(BUSY_RETRY_SECONDS)})
    slots.busy += 1
    try:
        yield
    finally:
        slots.busy -= 1


def device(request: Request, db: Session = Depends(get_db)) -> Thing:
    """The enabled device whose token the request carries; 401 without one, 403 when it is disabled."""
    token = bearer_token(request)
    if not token:
        raise Unauthorized("请在 Authorization: Bearer 头中提供设备令牌", "a device token is required in "
                           "Authorization: Bearer", code="device_token_required", headers=_CHALLENGE)
    thing = tokens.thing_of_token(db, token)
    if thing is None:
        raise Unauthorized("设备令牌无效或已轮换", "the device token is invalid or has been rotated",
                           code="invalid_device_token", headers=_CHALLENGE)
    if not thing.enabled:
        raise Forbidden(f"设备 {thing.code} 已停用", f"device {thing.code} is disabled", code="device_disabled")
    return thing


def writing_device(request: Request, _slot: None = Depends(write_slot), db: Session = Depends(get_db)) -> Thing:
    """The device of a write request (`device`), in its place among the writes in flight and within its rate:
    429 with Retry-After past `iot_device_rate_per_minute`, the other devices unaffected."""
    thing = device(request, db)
    per_minute = getattr(_settings(request), "iot_device_rate_per_minute", 600)
    wait = limiter(request).take(("iot-device", thing.id), per_minute)
    if wait:
        raise TooMany(f"设备 {thing.code} 写入过于频繁（每分钟 {per_minute} 次），请 {wait} 秒后重试",
                      f"device {thing.code} writes too often (limit {per_minute} a minute); retry in {wait} s",
                      code="device_rate_limited", headers={"Retry-After": str(wait)})
    return thing


def _from_device(request: Request) -> bool:
    """Whether a write is a device's: it carries a device token, or no one is logged in (answered as a device's:
    401 asking for its token)."""
    token = bearer_token(request)
    return bool(token and token.startswith(DEVICE_TOKEN_MARK)) or not current_actor(request).is_authenticated


def device_or_staff(request: Request, _slot: None = Depends(write_slot), db: Session = Depends(get_db)
                    ) -> Thing | None:
    """`writing_device` for a device's write; None for a logged-in staff member's (SensorThings create by staff)."""
    return writing_device(request, None, db) if _from_device(request) else None


async def csrf_unless_device(request: Request) -> None:
    """The CSRF check of a staff write (a device's token is not a browser's cookie)."""
    if not _from_device(request):
        await csrf_protect(request)


async def json_body(request: Request) -> Any:
    """The request's JSON (NaN and infinities read as numbers, to be quarantined as such), or 400 naming the body."""
    raw = await request.body()
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise Malformed(f"请求内容不是有效的 JSON{where}", f"the body is not valid JSON{where}",
                        field="body") from None
    except RecursionError:
        raise Malformed("JSON 嵌套过深", "the JSON is nested too deeply", field="body") from None


def field_error(field: str, zh: str, en: str) -> Malformed:
    """400 naming the field of the body at fault."""
    return Malformed(zh, en, field=field)
