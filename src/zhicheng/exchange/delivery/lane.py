"""The fast lane of the granted-rows API (`GET /api/v1/exchange/resources/{id}/rows` with a bearer token): the
token, the grant, the page and its audit entry in one worker-thread trip on one session (`web.fastlane`). The
answer is the route's own (`delivery.api.rows_response`); errors are the app's problem+json."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from zhicheng.accounts.middleware import credentials, refusal
from zhicheng.accounts.tokens import resolve_token
from zhicheng.core.errors import AppError
from zhicheng.exchange.delivery import service as delivery
from zhicheng.exchange.delivery.api import rows_response
from zhicheng.web.errors import respond
from zhicheng.web.fastlane import Lane


def _serve(
    db: Session, token: str, resource_id: int, params: list[tuple[str, str]], ip: str | None
) -> tuple[str, Any]:
    """("page", (page, query)) | ("refused", token error) | ("error", AppError), on the lane thread's session."""
    resolved = resolve_token(db, token=token, kind="bearer")
    if resolved.error:
        return "refused", resolved.error
    try:
        return "page", delivery.query_rows(db, actor=resolved.actor, resource_id=resource_id, params=params, ip=ip)
    except AppError as err:
        return "error", err


async def rows(request: Request, match: re.Match[str]) -> Response | None:
    key, bearer, cookie = credentials(request)
    if key or cookie or not bearer:  # API keys and browser sessions take the normal path
        return None
    kind, value = await request.app.state.lane_workers.run(
        _serve,
        bearer,
        int(match[1]),
        request.query_params.multi_items(),
        request.client.host if request.client else None,
    )
    if kind == "page":
        return rows_response(request, *value)
    if kind == "refused":
        return refusal(request, value)
    return respond(request, value)


lanes = [Lane(re.compile(r"/api/v1/exchange/resources/([0-9]{1,18})/rows"), rows)]
