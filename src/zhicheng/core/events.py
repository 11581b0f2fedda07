"""The event bus: domains publish facts, others subscribe, nobody reads another's tables.

A handler is local (the default: it runs once, in the process that published — usage counting, lineage, quality
runs, copies written to the database) or broadcast (`broadcast=True`: it also runs in every other worker process
when a cross-process back end is connected, `ZHICHENG_BUS_URL` — cache invalidations, live pages). Without a back
end several workers stay correct through the change counters (core.changes), which broadcast handlers only hasten.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)
Handler = Callable[[str, dict[str, Any]], None]


class EventBus:
    """Synchronous publish/subscribe by event name ("catalog.resource.published", ...); '*' hears all."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = defaultdict(list)
        self._broadcast: dict[str, list[Handler]] = defaultdict(list)  # the handlers other processes' facts reach
        self._remotes: list[Any] = []  # connected cross-process back ends (core.bus_redis)

    def subscribe(self, name: str, handler: Handler | None = None, *, broadcast: bool = False):
        """Register `handler` for `name`; usable as a decorator. `broadcast`: run it in every worker process too
        (only for idempotent work such as dropping a cache: a fact is heard once per process)."""

        def add(fn: Handler) -> Handler:
            self._handlers[name].append(fn)
            if broadcast:
                self._broadcast[name].append(fn)
            return fn

        return add(handler) if handler else add

    def unsubscribe(self, name: str, handler: Handler) -> None:
        """Remove one registration of `handler` for `name` (a no-op when it is not there)."""
        for table in (self._handlers, self._broadcast):
            handlers = table.get(name, [])
            if handler in handlers:
                handlers.remove(handler)

    def registrations(self) -> set[tuple[str, int]]:
        """Every (event name, id of handler) registered now: to tell what a start-up added."""
        return {(name, id(fn)) for name, fns in self._handlers.items() for fn in fns}

    def unsubscribe_added_since(self, before: set[tuple[str, int]]) -> None:
        """Remove the handlers registered after `before` was taken (an app's, at its shutdown)."""
        for table in (self._handlers, self._broadcast):
            for name, fns in table.items():
                fns[:] = [fn for fn in fns if (name, id(fn)) in before]

    def publish(self, name: str, payload: dict[str, Any]) -> None:
        """Deliver to every subscriber here, and to the broadcast subscribers of every other connected process; a
        failing subscriber is logged and does not stop the others."""
        self._run([*self._handlers.get(name, ()), *self._handlers.get("*", ())], name, payload)
        if self._remotes and (self._broadcast.get(name) or self._broadcast.get("*")):
            for remote in list(self._remotes):
                remote.send(name, payload)

    def deliver_remote(self, name: str, payload: dict[str, Any]) -> None:
        """A fact published by another process: only the broadcast handlers run here (the local ones ran there)."""
        self._run([*self._broadcast.get(name, ()), *self._broadcast.get("*", ())], name, payload)

    @staticmethod
    def _run(handlers: list[Handler], name: str, payload: dict[str, Any]) -> None:
        for fn in handlers:
            try:
                fn(name, payload)
            except Exception:  # noqa: BLE001 - one bad subscriber must not break the publisher
                log.exception("event handler %r failed for %s", fn, name)

    def connect(self, url: str | None):
        """Join the cross-process bus at `url` (redis://...); None when no url. Undo with `disconnect`."""
        if not url:
            return None
        from zhicheng.core.bus_redis import RedisRemote

        remote = RedisRemote(url, self)
        self._remotes.append(remote)
        return remote

    def disconnect(self, remote) -> None:
        if remote is not None and remote in self._remotes:
            self._remotes.remove(remote)
            remote.close()

    def clear(self) -> None:
        self._handlers.clear()
        self._broadcast.clear()


bus = EventBus()


def database_of(db) -> str:
    """Which database a session writes to, as events carry it (`payload["database"]`): a process may hold several
    apps (tests do), and a subscriber bound to one database must ignore the facts of another."""
    return db.get_bind().engine.url.render_as_string(hide_password=True)


def same_database(payload: dict[str, Any], engine) -> bool:
    """True when the event is about `engine`'s database (or does not say which)."""
    named = payload.get("database")
    return named is None or engine is None or named == engine.url.render_as_string(hide_password=True)

