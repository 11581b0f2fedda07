"""Fast lanes: the few read endpoints that clients call thousands of times in a row (a consumer walking a
granted table, a CKAN client walking a DataStore resource) served as plain ASGI, in front of the framework.

A lane does exactly what its FastAPI route does (the same service call, the same checks, audit and errors), in
one trip to a worker thread for the whole request (credential, grant, page and audit on one session), without
the router's walk over every route or the middleware stack. A lane may decline a request (say, one carrying a
session cookie): the request then takes the normal path. The routes stay registered, so the OpenAPI document
and every other caller see them unchanged."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from zhicheng.web.errors import app_error_of, respond

T = TypeVar("T")


async def in_thread(fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)` in the event loop's worker threads: the lightest trip there is (no context copy or capacity
    limiter, which a lane's self-contained call does not need)."""
    return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


# handler(request, match) → the response, or None to let the request take the normal path
Handler = Callable[[Request, re.Match[str]], Awaitable[Response | None]]


@dataclass(frozen=True)
class Lane:
    """GET requests whose path matches `pattern` whole go to `handler` first."""

    pattern: re.Pattern[str]
    handler: Handler


class FastLanes:
    """The ASGI layer that offers each GET request to the lanes before the application sees it."""

    def __init__(self, app: ASGIApp, lanes: list[Lane]) -> None:
        self.app = app
        self.lanes = lanes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            path = scope["path"]
            for lane in self.lanes:
                match = lane.pattern.fullmatch(path)
                if match is None:
                    continue
                request = Request(scope, receive)
                try:
                    response = await lane.handler(request, match)
                except Exception as exc:  # noqa: BLE001 - answered as the app's handlers would
                    response = respond(request, app_error_of(request, exc))
                if response is None:
                    break
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
