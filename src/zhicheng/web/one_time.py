"""Secrets shown once (a new API key): POST-redirect-GET with the secret carried to the GET in a short-lived,
encrypted (SM4-GCM), HttpOnly cookie that the GET reads and clears; every answer holding a secret is `no-store`."""

from __future__ import annotations

import json
import time

from fastapi import Request, Response

from zhicheng.core.errors import Invalid
from zhicheng.policy.crypto import decrypt_field, encrypt_field

COOKIE = "zhicheng_once"
TTL_SECONDS = 300
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def no_store(response: Response) -> None:
    """A dependency (or a call) that keeps the answer out of every cache: browser, history and proxies."""
    response.headers.update(NO_STORE)


def keep(request: Request, response: Response, value: dict, *, owner: str, path: str) -> Response:
    """Carry `value` (holding a secret) to the next GET of `path` by this browser, bound to `owner` (who may read
    it, e.g. "staff:12"); readable once, for TTL_SECONDS."""
    data = json.dumps({"v": value, "exp": int(time.time()) + TTL_SECONDS}, ensure_ascii=False)
    sealed = encrypt_field(request.app.state.settings, data, context=f"{COOKIE}:{owner}")
    response.set_cookie(COOKIE, sealed, max_age=TTL_SECONDS, httponly=True, samesite="strict", path=path,
                        secure=request.app.state.settings.secure_cookies)
    no_store(response)
    return response


def take(request: Request, *, owner: str) -> dict | None:
    """The value `keep` left for `owner` in this request's cookie, or None (none, expired, altered, another's);
    the page that answers calls `shown`."""
    sealed = request.cookies.get(COOKIE)
    if not sealed:
        return None
    try:
        data = json.loads(decrypt_field(request.app.state.settings, sealed, context=f"{COOKIE}:{owner}"))
    except (Invalid, ValueError):
        return None
    if not isinstance(data, dict) or int(data.get("exp", 0)) < time.time():
        return None
    value = data.get("v")
    return value if isinstance(value, dict) else None


def shown(request: Request, response: Response, *, path: str) -> Response:
    """The page that may show a kept secret: its cookie cleared (read once), the page `no-store`."""
    if request.cookies.get(COOKIE):
        response.delete_cookie(COOKIE, path=path)
    no_store(response)
    return response
