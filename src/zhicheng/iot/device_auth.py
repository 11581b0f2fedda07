"""The door devices come in by: their token (`Authorization: Bearer zcd_…`) and their JSON body, read only once the
token is known (the app's body limit has refused an oversized body before either)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from zhicheng.accounts.middleware import bearer_token
from zhicheng.core.errors import AppError, Forbidden, Unauthorized
from zhicheng.iot import tokens
from zhicheng.iot.models import Thing
from zhicheng.web.deps import get_db

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="zhicheng-iot"'}


class Malformed(AppError):
    status, code = 400, "malformed_json"


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
