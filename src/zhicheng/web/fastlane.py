"""Fast lanes: the few read endpoints that clients call thousands of times in a row (a consumer walking a
granted table, a CKAN client walking a DataStore resource) served as plain ASGI, in front of the framework.

A lane does exactly what its FastAPI route does (the same service call, the same checks, audit and errors), in
one trip to a worker thread for the whole request (credential, grant, page and audit on one session, on a
connection the thread keeps: `LaneWorkers`), ahead of everything the framework does per request (`LaneApp`):
its telemetry check, the middleware stack, the router's walk over every route. A lane may decline a request
(say, one carrying a session cookie): the request then takes the normal path. The routes stay registered, so
the OpenAPI document and every other caller see them unchanged."""

from __future__ import annotations

import asyncio
import queue
import re
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import FastAPI
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from zhicheng.web.errors import app_error_of, respond

T = TypeVar("T")


LANE_THREADS = 4  # lane calls at once per app, and connections held for them
IDLE_EXIT = 60.0  # seconds a lane thread waits for work before it ends and lets its connection go


class LaneWorkers:
    """The worker threads lane calls run in, each with one session on a database connection it keeps between calls.

    A SQLite connection drops its whole page cache when it finds that another connection wrote since it last read.
    Every delivery writes (its audit entry), so a call handed whichever pooled connection comes next re-reads each
    page it touches; on the connection its thread kept, the pages it reads stay cached, and SQLAlchemy's pool
    checkout and session set-up (some 45 µs) are paid once. Each call's session is rolled back and emptied after the
    call (what it did not commit is undone, no object outlives it); a call that raises, or a connection found
    closed or invalidated, has its connection replaced. At most `threads` connections are held, closed by `close`.

    The threads take their calls from one queue and hand each result back with `call_soon_threadsafe`: a third of
    the cost of `run_in_executor`'s two chained futures (20 against 60 µs a trip). As in a `ThreadPoolExecutor`, a
    thread is started only when none is idle, so calls one after the other run on one thread and one connection;
    a thread idle for IDLE_EXIT seconds ends, and its connection goes back to the pool.
    """

    def __init__(self, factory: sessionmaker[Session], threads: int = LANE_THREADS) -> None:
        self.factory = factory
        self.threads = threads
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._workers: list[threading.Thread] = []
        self._idle = threading.Semaphore(0)
        self._local = threading.local()
        self._held: set[Connection] = set()
        self._lock = threading.Lock()

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(session, *args)` in a lane thread, on that thread's session."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        if not self._idle.acquire(blocking=False):
            with self._lock:
                self._workers = [w for w in self._workers if w.is_alive()]
                if len(self._workers) < self.threads:
                    worker = threading.Thread(target=self._work, name="zhicheng-lane", daemon=True)
                    self._workers.append(worker)
                    worker.start()
        self._jobs.put((fn, args, future, loop))
        return await future

    def _work(self) -> None:
        try:
            while True:
                try:
                    job = self._jobs.get(timeout=IDLE_EXIT)
                except queue.Empty:
                    if self._idle.acquire(blocking=False):  # idle that long: the thread and its connection go
                        return
                    continue  # a call has just claimed this idle thread: its job is on the way
                if job is None:  # close()
                    return
                fn, args, future, loop = job
                try:
                    outcome = (self._call(fn, args), None)
                except BaseException as exc:  # noqa: BLE001 - handed to the awaiting request
                    outcome = (None, exc)
                try:
                    loop.call_soon_threadsafe(_settle, future, *outcome)
                except RuntimeError:  # the loop has closed: nobody is waiting any more
                    pass
                self._idle.release()
        finally:
            self._drop()

    @property
    def held(self) -> int:
        """How many connections are held now."""
        return len(self._held)

    def _call(self, fn: Callable[..., T], args: tuple) -> T:
        db = self._session()
        ok = False
        try:
            result = fn(db, *args)
            ok = True
            return result
        finally:
            try:
                db.rollback()
                db.close()
            except Exception:  # noqa: BLE001 - the connection is replaced below
                ok = False
            if not ok:
                self._drop()

    def _session(self) -> Session:
        held = getattr(self._local, "held", None)
        if held is not None and (held[0].closed or held[0].invalidated):
            self._drop()
            held = None
        if held is None:
            conn = self.factory.kw["bind"].connect()
            held = self._local.held = (conn, self.factory(bind=conn))
            with self._lock:
                self._held.add(conn)
        return held[1]

    def _drop(self) -> None:
        held = getattr(self._local, "held", None)
        self._local.held = None
        if held is not None:
            with self._lock:
                self._held.discard(held[0])
            try:
                held[0].close()
            except Exception:  # noqa: BLE001 - a broken connection may fail to close; it is gone either way
                pass

    def close(self) -> None:
        """Stop the threads (after the calls under way) and close the connections they held."""
        with self._lock:
            workers, self._workers = [w for w in self._workers if w.is_alive()], []
            for _ in workers:
                self._jobs.put(None)
        for worker in workers:
            worker.join(timeout=30)
        while self._idle.acquire(blocking=False):  # the stopped threads are idle no more
            pass
        # a stop meant for a thread that ended on its own meanwhile must not stop the next one: keep only calls
        kept = []
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                kept.append(job)
        for job in kept:
            self._jobs.put(job)
        with self._lock:
            held, self._held = list(self._held), set()
        for conn in held:
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - closing at shutdown: nothing more to do with it
                pass


def _settle(future: asyncio.Future, result: Any, exc: BaseException | None) -> None:
    if future.cancelled():  # the request went away meanwhile
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(result)


# handler(request, match) → the response, or None to let the request take the normal path
Handler = Callable[[Request, re.Match[str]], Awaitable[Response | None]]


@dataclass(frozen=True)
class Lane:
    """GET requests whose path matches `pattern` whole go to `handler` first."""

    pattern: re.Pattern[str]
    handler: Handler


async def offer(lanes: list[Lane], scope: Scope, receive: Receive, send: Send) -> bool:
    """Offer a GET request to the lanes: True when one answered it (its response sent, or its error answered as
    the app's handlers answer errors), False when none matched or the matching lane declined."""
    path = scope["path"]
    for lane in lanes:
        match = lane.pattern.fullmatch(path)
        if match is None:
            continue
        request = Request(scope, receive)
        try:
            response = await lane.handler(request, match)
        except Exception as exc:  # noqa: BLE001 - answered as the app's handlers would
            response = respond(request, app_error_of(request, exc))
        if response is None:
            return False
        await response(scope, receive, send)
        return True
    return False


class LaneApp(FastAPI):
    """FastAPI with the lanes in front of everything it does per request (its telemetry check, the middleware
    stack, the router): a GET request a lane answers costs the lane's own work and nothing else."""

    def __init__(self, *args: Any, lanes: list[Lane] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lanes: list[Lane] = list(lanes or [])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.lanes and scope["type"] == "http" and scope["method"] == "GET":
            if self.root_path:
                scope["root_path"] = self.root_path
            scope["app"] = self  # as Starlette sets it: lanes read request.app.state
            if await offer(self.lanes, scope, receive, send):
                return
        await super().__call__(scope, receive, send)
