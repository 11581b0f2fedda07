"""Work an app does after a bus event, in the publishing thread, for as long as the app lives: several apps can
live in one process (tests, a server and its CLI), and the bus outlives them."""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from zhicheng.core.events import bus

log = logging.getLogger("zhicheng")


def after_event(app: Any, event: str, work: Callable[[sessionmaker[Session], dict[str, Any]], Any]) -> None:
    """Call `work(app's sessionmaker, payload)` on every `event` while `app` lives and keeps its engine (an app
    whose engine was disposed, or that is gone, is skipped). A failure is logged, never raised to the publisher."""
    app_ref, pool = weakref.ref(app), app.state.engine.pool

    def handler(_name: str, payload: dict[str, Any]) -> None:
        live = app_ref()
        if live is None or live.state.engine.pool is not pool:  # a test's app outlived by the bus
            return
        factory = live.state.sessionmaker
        del live
        try:
            work(factory, payload)
        except Exception:  # noqa: BLE001 - the publisher's work is done; this part is best effort
            log.exception("%s after %s failed: %s", getattr(work, "__qualname__", work), event, payload)

    bus.subscribe(event, handler)
