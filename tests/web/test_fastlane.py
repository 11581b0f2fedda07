"""The fast-lane layer: a lane's answer goes out as is, a declined request reaches the app, and an error in a
lane is answered as the app's own handlers answer it (problem+json, no traceback)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from starlette.responses import PlainTextResponse

from zhicheng.core.errors import NotFound
from zhicheng.web.fastlane import FastLanes, Lane


async def lane(request, match):
    what = match[1]
    if what == "decline":
        return None
    if what == "missing":
        raise NotFound("没有这个", "no such thing")
    if what == "boom":
        raise RuntimeError("a bug")
    return PlainTextResponse(f"lane {what}")


def test_answers_declines_and_errors(app):
    app.add_middleware(FastLanes, lanes=[Lane(re.compile(r"/api/v1/health/(\w+)"), lane)])

    @app.get("/api/v1/health/{what}")
    def route(what: str) -> dict:
        return {"route": what}

    with TestClient(app, raise_server_exceptions=False) as c:
        assert c.get("/api/v1/health/x").text == "lane x"
        assert c.get("/api/v1/health/decline").json() == {"route": "decline"}
        assert c.post("/api/v1/health/x").status_code == 405  # only GET is offered to lanes
        missing = c.get("/api/v1/health/missing")
        assert missing.status_code == 404 and missing.headers["content-type"].startswith("application/problem+json")
        boom = c.get("/api/v1/health/boom")
        assert boom.status_code == 500 and boom.json()["code"] == "internal" and "a bug" not in boom.text
