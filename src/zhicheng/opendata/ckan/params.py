"""The CKAN action API's plumbing: the action registry, the data dict of a call (query string or JSON/form
body) and its typed parameters, and results already serialised as JSON."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from zhicheng.core.errors import Invalid

log = logging.getLogger("zhicheng")
MAX_BODY = 1_000_000
MAX_LIST = 1000
Action = Callable[[Session, Request, dict[str, Any]], Any]
ACTIONS: dict[str, Action] = {}


def action(fn: Action) -> Action:
    ACTIONS[fn.__name__] = fn
    return fn


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


# -- parameters ---------------------------------------------------------------------------------------------


async def _params(request: Request) -> dict[str, Any]:
    """The action's data dict: the JSON (or form) body of a POST, else the query string."""
    params: dict[str, Any] = {}
    for key, value in request.query_params.multi_items():
        if key in params:
            params[key] = [*params[key], value] if isinstance(params[key], list) else [params[key], value]
        else:
            params[key] = value
    if request.method == "POST":
        body = await request.body()
        if len(body) > MAX_BODY:
            raise Invalid("请求体过大", "the request body is too large", field="body")
        if body.strip():
            ctype = request.headers.get("content-type", "")
            if "form" in ctype:
                form = await request.form()
                params.update({k: v for k, v in form.items() if isinstance(v, str)})
            else:
                try:
                    data = json.loads(body)
                except ValueError:
                    raise Invalid(
                        "请求体不是合法的 JSON", "the request body is not valid JSON", field="body"
                    ) from None
                if not isinstance(data, dict):
                    raise Invalid(
                        "请求体须为 JSON 对象", "the request body must be a JSON object", field="body"
                    )
                params.update(data)
    return params


def _int(params: dict[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = params.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        value = None
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        raise Invalid(
            f"{name} 须为 {low} 至 {high} 的整数",
            f"{name} must be an integer from {low} to {high}",
            field=name,
        )
    return number


def _bool(params: dict[str, Any], name: str, default: bool) -> bool:
    value = params.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise Invalid(f"{name} 须为 true 或 false", f"{name} must be true or false", field=name)


def _str(params: dict[str, Any], name: str, *, limit: int = 1000) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, list):
        value = value[0] if len(value) == 1 else None
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise Invalid(f"{name} 须为字符串", f"{name} must be a string", field=name)
    text = str(value)
    if len(text) > limit or "\x00" in text:
        raise Invalid(
            f"{name} 过长（上限 {limit} 字符）",
            f"{name} is too long (at most {limit} characters)",
            field=name,
        )
    return text


def _list(params: dict[str, Any], name: str) -> list[str]:
    """A list parameter: a JSON list, a JSON-encoded list in a string (CKAN's GET form), repeated keys or a
    comma-separated string."""
    value = params.get(name)
    if value is None or value == "":
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError:
                raise Invalid(
                    f"{name} 不是合法的 JSON 列表", f"{name} is not a valid JSON list", field=name
                ) from None
        else:
            value = [p.strip() for p in text.split(",") if p.strip()]
    if not isinstance(value, list) or len(value) > MAX_LIST or not all(isinstance(v, str) for v in value):
        raise Invalid(f"{name} 须为字符串列表", f"{name} must be a list of strings", field=name)
    return [v[:200] for v in value]


class Raw:
    """A result already serialised as JSON, in parts (joined once, into the response body: a page of records is
    copied once more, not once per layer that wraps it)."""

    __slots__ = ("parts",)

    def __init__(self, *parts: bytes) -> None:
        self.parts = parts

    def __bytes__(self) -> bytes:
        return b"".join(self.parts)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)  # as text: a float would lose digits
    return str(value)
