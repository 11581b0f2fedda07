"""Flash messages: a short note carried to the next page in a signed cookie, shown once, then cleared."""

from __future__ import annotations

from fastapi import Request
from itsdangerous import BadSignature, URLSafeSerializer
from starlette.responses import Response

COOKIE = "zhicheng_flash"
KINDS = ("success", "info", "warning", "error")


def _serializer(request: Request) -> URLSafeSerializer:
    return URLSafeSerializer(request.app.state.settings.signing_key(), salt="zhicheng.flash")


def flash(request: Request, response: Response, message: str, kind: str = "success", **params: str) -> Response:
    """Queue `message` (a Chinese source string, translated when shown, with `%(name)s` filled from `params`) for
    the next page this browser opens."""
    queued = pending(request)
    entry: dict = {"m": message, "k": kind if kind in KINDS else "info"}
    if params:
        entry["p"] = {k: str(v) for k, v in params.items()}
    queued.append(entry)
    response.set_cookie(COOKIE, _serializer(request).dumps(queued[-5:]), httponly=True, samesite="lax",
                        secure=request.app.state.settings.secure_cookies, path="/")
    return response


def pending(request: Request) -> list[dict]:
    """The messages waiting in this request's cookie (an empty list when none or tampered with)."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return []
    try:
        data = _serializer(request).loads(raw)
    except BadSignature:
        return []
    return [d for d in data if isinstance(d, dict) and isinstance(d.get("m"), str)] if isinstance(data, list) else []


def clear(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/")
