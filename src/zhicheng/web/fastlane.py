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
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import FastAPI
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from zhicheng.web.errors import app_error_of, respond

T = TypeVar("T")


LANE_THREADS = 4  # lane calls at once per app, and connections held for them
IDLE_EXIT = 60.0  # seconds a lane thread waits for work before it ends and lets its connection go
CLOSE_WAIT = 10.0  # seconds `close` waits in all for the threads to finish the calls under way


class LaneWorkers:
    """The worker threads lane calls run in, each with one session on a database connection it keeps between calls.

    A SQLite connection drops its whole page cache when it finds that another connection wrote since it last read.
    Every delivery writes (its audit entry), so a call handed whichever pooled connection comes next re-reads each
    page it touches; on the connection its thread kept, the pages it reads stay cached, and SQLAlchemy's pool
    checkout and session set-up (some 45 µs) are paid once. Each call's session is rolled back and emptied after the
    call (what it did not commit is undone, no object outlives it); a call that raises, or a connection found
    closed or invalidated, has its connection replaced. At most `threads` connections are held, closed by `close`.

    The threads take their calls from one queue and hand each result back with `call_soon_threadsafe`: a third of
    the cost of `run_in_executor`'s two chained futures (20 against 60 µs a trip). A thread is started only when
    more calls wait in the queue than threads are idle, so calls one after the other run on one thread and one
    connection; a thread idle for `idle_exit` seconds ends, and its connection goes back to the pool. The calls
    waiting and the idle threads are counted under one lock, and a thread ends only when the idle threads it leaves
    behind are at least as many as the calls waiting: a call in the queue always has a live thread coming for it.
    """

    def __init__(self, factory: sessionmaker[Session], threads: int = LANE_THREADS,
                 idle_exit: float | None = None) -> None:
        self.factory = factory
        self.threads = threads
        self.idle_exit = IDLE_EXIT if idle_exit is None else idle_exit
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._workers: set[threading.Thread] = set()
        self._idle = 0  # live threads not running a call (waiting on the queue, or on their way to it)
        self._waiting = 0  # calls in the queue that no thread has taken yet
        self._stops = 0  # stops `close` put in the queue that no thread has taken yet
        self._local = threading.local()
        self._held: set[Connection] = set()
        self._lock = threading.Lock()

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(session, *args)` in a lane thread, on that thread's session."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        with self._lock:
            self._waiting += 1
            self._jobs.put((fn, args, future, loop))
            self._staff()
        return await future

    def _staff(self) -> None:
        """Start a thread when more calls wait than threads are idle (under the lock, within `threads`)."""
        if self._waiting > self._idle and len(self._workers) < self.threads:
            worker = threading.Thread(target=self._work, name="zhicheng-lane", daemon=True)
            self._workers.add(worker)
            self._idle += 1  # idle from its start: the next call does not start another for the same job
            worker.start()

    def _take(self) -> tuple | None:
        """The next call for this thread, or None when the thread is to end (stopped, or idle too long)."""
        while True:
            try:
                job = self._jobs.get(timeout=self.idle_exit)
            except queue.Empty:
                job = _EMPTY
            with self._lock:
                if job is _EMPTY:
                    if self._stops or self._waiting >= self._idle:  # a stop or a call is on its way to this thread
                        continue
                elif job is None:  # close()
                    self._stops -= 1
                else:
                    self._waiting -= 1
                    self._idle -= 1
                    return job
                self._idle -= 1
                self._workers.discard(threading.current_thread())
                self._staff()  # a stop taken by a thread started after close: calls still waiting get another
                return None

    def _work(self) -> None:
        try:
            while (job := self._take()) is not None:
                fn, args, future, loop = job
                try:
                    outcome = (self._call(fn, args), None)
                except BaseException as exc:  # noqa: BLE001 - handed to the awaiting request
                    outcome = (None, exc)
                with self._lock:
                    self._idle += 1
                try:
                    loop.call_soon_threadsafe(_settle, future, *outcome)
                except RuntimeError:  # the loop has closed: nobody is waiting any more
                    pass
        finally:
            with self._lock:  # ended by an error of its own (not by `_take`): no longer counted
                if threading.current_thread() in self._workers:
                    self._workers.discard(threading.current_thread())
                    self._idle -= 1
                    self._staff()
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

    def close(self, timeout: float = CLOSE_WAIT) -> None:
        """Stop the threads once the calls under way are done (waiting `timeout` seconds in all, never longer) and
        close the connections they held. A call still in the queue is not dropped: a thread is started for it."""
        with self._lock:
            workers = list(self._workers)
            self._stops += len(workers)
            for _ in workers:
                self._jobs.put(None)
        deadline = time.monotonic() + timeout
        for worker in workers:
            worker.join(timeout=max(0.0, deadline - time.monotonic()))
        with self._lock:  # connections of threads that did not end in time (each ended thread closed its own)
            held, self._held = list(self._held), set()
        for conn in held:
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - closing at shutdown: nothing more to do with it
                pass


_EMPTY = object()  # the queue had nothing for a whole idle period


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
        # plain ASGI middleware in front of the lanes and the framework alike, outermost first: what every answer
        # needs, lane or route (the client IP behind trusted proxies, security headers, CORS); set before serving
        self.front: list[Callable[[ASGIApp], ASGIApp]] = []
        self._entry: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        entry = self._entry
        if entry is None:
            entry = self._serve
            for middleware in reversed(self.front):
                entry = middleware(entry)
            self._entry = entry
        await entry(scope, receive, send)

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.lanes and scope["type"] == "http" and scope["method"] == "GET":
            if self.root_path:
                scope["root_path"] = self.root_path
            scope["app"] = self  # as Starlette sets it: lanes read request.app.state
            if await offer(self.lanes, scope, receive, send):
                return
        await super().__call__(scope, receive, send)
