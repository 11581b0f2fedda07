"""The fast-lane layer: a lane's answer goes out as is, a declined request reaches the app, and an error in a
lane is answered as the app's own handlers answer it (problem+json, no traceback)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from starlette.responses import PlainTextResponse

from zhicheng.core.errors import NotFound
from zhicheng.web.fastlane import Lane


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
    app.lanes = [Lane(re.compile(r"/api/v1/health/(\w+)"), lane)]

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


def _connection_of(db):
    return db.connection()  # the SQLAlchemy Connection the session is bound to


def test_lane_workers_keep_one_connection_per_thread_and_leave_nothing_behind(engine):
    """Calls in a row run on the connection their thread kept; what a call did not commit is undone and no
    object outlives it."""
    import asyncio

    from sqlalchemy import text

    from zhicheng.core.db import make_sessionmaker
    from zhicheng.web.fastlane import LaneWorkers

    workers = LaneWorkers(make_sessionmaker(engine), threads=1)

    def write_uncommitted(db):
        db.execute(text("CREATE TABLE IF NOT EXISTS lane_probe (n INTEGER)"))
        db.commit()
        db.execute(text("INSERT INTO lane_probe VALUES (1)"))
        return _connection_of(db)

    def read(db):
        return _connection_of(db), db.execute(text("SELECT count(*) FROM lane_probe")).scalar(), len(db.identity_map)

    def boom(db):
        raise RuntimeError("a bug")

    async def scenario():
        first = await workers.run(write_uncommitted)
        second, count, objects = await workers.run(read)
        assert second is first and count == 0 and objects == 0  # kept; the insert was rolled back
        with pytest.raises(RuntimeError):
            await workers.run(boom)
        third, _, _ = await workers.run(read)
        assert third is not first and workers.held == 1  # a call that raised has its connection replaced
        workers.close()
        assert workers.held == 0
        fourth, _, _ = await workers.run(read)  # usable again after close: new threads, a new connection
        assert fourth is not third
        workers.close()

    asyncio.run(scenario())


def test_lane_workers_replace_an_invalidated_connection(engine):
    import asyncio

    from zhicheng.core.db import make_sessionmaker
    from zhicheng.web.fastlane import LaneWorkers

    workers = LaneWorkers(make_sessionmaker(engine), threads=1)

    async def scenario():
        first = await workers.run(_connection_of)
        await workers.run(lambda db: db.connection().invalidate())
        second = await workers.run(_connection_of)
        assert second is not first and workers.held == 1
        workers.close()

    asyncio.run(scenario())


def test_an_idle_lane_thread_ends_and_lets_its_connection_go(engine, monkeypatch):
    import asyncio
    import time

    from zhicheng.core.db import make_sessionmaker
    from zhicheng.web import fastlane

    monkeypatch.setattr(fastlane, "IDLE_EXIT", 0.05)
    workers = fastlane.LaneWorkers(make_sessionmaker(engine), threads=2)

    async def scenario():
        assert await workers.run(lambda db: 7) == 7
        assert workers.held == 1
        deadline = time.monotonic() + 5
        while workers.held and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert workers.held == 0
        workers.close()  # the thread that ended on its own is not sent a stop that the next one would take
        assert await asyncio.wait_for(workers.run(lambda db: 8), 5) == 8
        workers.close()

    asyncio.run(scenario())


def test_concurrent_lane_calls_all_answer_on_at_most_the_threads_connections(engine):
    import asyncio
    import time

    from zhicheng.core.db import make_sessionmaker
    from zhicheng.web.fastlane import LaneWorkers

    workers = LaneWorkers(make_sessionmaker(engine), threads=3)
    seen = set()

    def call(db, n):
        seen.add(id(db.connection()))
        time.sleep(0.02)
        return n * n

    async def scenario():
        results = await asyncio.gather(*(workers.run(call, n) for n in range(12)))
        assert results == [n * n for n in range(12)]
        assert len(seen) <= 3 and workers.held <= 3
        slow = asyncio.ensure_future(workers.run(call, 5))
        await asyncio.sleep(0)
        slow.cancel()  # the request went away: the call finishes in its thread, its answer is dropped
        assert await workers.run(call, 6) == 36
        workers.close()

    asyncio.run(scenario())
