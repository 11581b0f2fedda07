"""The in-process event bus: domains publish facts, others subscribe, nobody reads another's tables."""

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

    def subscribe(self, name: str, handler: Handler | None = None):
        """Register `handler` for `name`; usable as a decorator."""

        def add(fn: Handler) -> Handler:
            self._handlers[name].append(fn)
            return fn

        return add(handler) if handler else add

    def unsubscribe(self, name: str, handler: Handler) -> None:
        """Remove one registration of `handler` for `name` (a no-op when it is not there)."""
        handlers = self._handlers.get(name, [])
        if handler in handlers:
            handlers.remove(handler)

    def registrations(self) -> set[tuple[str, int]]:
        """Every (event name, id of handler) registered now: to tell what a start-up added."""
        return {(name, id(fn)) for name, fns in self._handlers.items() for fn in fns}

    def unsubscribe_added_since(self, before: set[tuple[str, int]]) -> None:
        """Remove the handlers registered after `before` was taken (an app's, at its shutdown)."""
        for name, fns in self._handlers.items():
            fns[:] = [fn for fn in fns if (name, id(fn)) in before]

    def publish(self, name: str, payload: dict[str, Any]) -> None:
        """Deliver to every subscriber; a failing subscriber is logged and does not stop the others."""
        for fn in [*self._handlers.get(name, ()), *self._handlers.get("*", ())]:
            try:
                fn(name, payload)
            except Exception:  # noqa: BLE001 - one bad subscriber must not break the publisher
                log.exception("event handler %r failed for %s", fn, name)

    def clear(self) -> None:
        self._handlers.clear()


bus = EventBus()


def database_of(db) -> str:
    """Which database a session writes to, as events carry it (`payload["database"]`): a process may hold several
    apps (tests do), and a subscriber bound to one database must ignore the facts of another."""
    return db.get_bind().engine.url.render_as_string(hide_password=True)


def same_database(payload: dict[str, Any], engine) -> bool:
    """True when the event is about `engine`'s database (or does not say which)."""
    named = payload.get("database")
    return named is None or engine is None or named == engine.url.render_as_string(hide_password=True)

