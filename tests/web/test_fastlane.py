"""The fast-lane layer: a lane's answer goes out as is, a declined request reaches the app, and an error in a
lane is answered as the app's own handlers answer it (problem+json, no traceback)."""

from __future__ import annotations

import re
import time

import pytest
from fastapi.testclient import TestClient
from starlette.responses import PlainTextResponse

from tests.opendata_api.helpers import open_catalog  # noqa: F401 - fixture
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


def test_lane_threads_come_back_after_a_burst_and_an_idle_exit(engine):
    """A burst leaves more finished calls than threads; once the threads have ended idle, the next call is still
    answered (a thread is started for it), and so is a second burst."""
    import asyncio
    import time

    from zhicheng.core.db import make_sessionmaker
    from zhicheng.web.fastlane import LaneWorkers

    workers = LaneWorkers(make_sessionmaker(engine), threads=4, idle_exit=0.1)

    def call(db, n):
        time.sleep(0.005)
        return n

    async def scenario():
        assert await asyncio.gather(*(workers.run(call, n) for n in range(40))) == list(range(40))
        deadline = time.monotonic() + 5
        while workers.held and time.monotonic() < deadline:  # every thread ends idle, its connection let go
            await asyncio.sleep(0.05)
        assert workers.held == 0
        assert await asyncio.wait_for(workers.run(call, 41), 5) == 41
        await asyncio.sleep(0.3)
        results = await asyncio.wait_for(asyncio.gather(*(workers.run(call, n) for n in range(40))), 10)
        assert results == list(range(40))
        workers.close()

    asyncio.run(scenario())


def test_a_closed_pool_answers_the_calls_still_queued(engine):
    import asyncio
    import threading
    import time

    from zhicheng.core.db import make_sessionmaker
    from zhicheng.web.fastlane import LaneWorkers

    workers = LaneWorkers(make_sessionmaker(engine), threads=2, idle_exit=30)

    def call(db, n):
        time.sleep(0.02)
        return n

    async def scenario():
        calls = asyncio.gather(*(workers.run(call, n) for n in range(10)))
        await asyncio.sleep(0.01)
        closing = threading.Thread(target=workers.close)
        closing.start()  # stops the two threads while eight calls still wait in the queue
        assert await asyncio.wait_for(calls, 10) == list(range(10))
        closing.join(15)
        assert not closing.is_alive()
        workers.close()

    asyncio.run(scenario())


def test_the_lanes_answer_after_a_burst_and_a_quiet_minute_and_the_server_stops(settings, engine, request):
    """The harvester's story: 20 clients walk a DataStore resource at once, nobody calls for longer than the lane
    threads' idle time (60 s in production, 0.3 s here), then a client calls again: it is answered, and the server
    then stops at once."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from tests.helpers.browser import LiveServer
    from zhicheng.web.app import create_app

    air = request.getfixturevalue("open_catalog").air
    quick = settings.model_copy(update={"lane_idle_seconds": 0.3, "open_rate_per_minute": 10_000})
    app = create_app(quick)
    server = LiveServer(app).start()
    try:
        with httpx.Client(base_url=server.url, timeout=10) as c:
            pkg = c.get("/api/3/action/package_show", params={"id": air.code}).json()["result"]
        rid = next(r["id"] for r in pkg["resources"] if r["format"] == "CSV")
        url = f"{server.url}/api/3/action/datastore_search"

        def walk(_):
            with httpx.Client(timeout=10) as c:
                return [c.get(url, params={"resource_id": rid, "limit": 5, "offset": 5 * k}).status_code
                        for k in range(6)]

        with ThreadPoolExecutor(20) as pool:
            codes = [code for walked in pool.map(walk, range(20)) for code in walked]
        assert codes == [200] * 120
        workers = app.state.lane_workers
        deadline = time.monotonic() + 10
        while workers.held and time.monotonic() < deadline:  # the quiet minute: every lane thread ends
            time.sleep(0.05)
        assert workers.held == 0
        for _ in range(3):
            again = httpx.get(url, params={"resource_id": rid, "limit": 5}, timeout=5)
            assert again.status_code == 200 and again.json()["result"]["records"]
        with ThreadPoolExecutor(20) as pool:
            assert [code for walked in pool.map(walk, range(20)) for code in walked] == [200] * 120
    finally:
        server.stop()
    assert not server.thread.is_alive()  # no lane call left waiting: uvicorn's shutdown completes
    app.state.engine.dispose()
