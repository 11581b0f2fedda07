"""The bus between worker processes over Redis pub/sub: every process hears every other's broadcast facts.

Pub/sub, not a stream: what crosses is cache invalidation and live-page pushes, worth nothing to a process that
was not listening when it was said (a process that starts or reconnects reads fresh state anyway, and the change
counters of core.changes keep caches right even when a message is lost). Facts that must be handled once are
local handlers and never cross. Each process tags what it sends with its origin and ignores its own.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from typing import Any

from zhicheng.core.errors import AppError

log = logging.getLogger(__name__)
CHANNEL = "zhicheng.bus"
ORIGIN = uuid.uuid4().hex  # this process (shared by every app it holds: their handlers ran on publish)
SCHEMES = ("redis://", "rediss://", "unix://")


def check_url(url: str) -> None:
    """Refuse a bus URL that is not Redis's, naming the setting (before any process starts)."""
    if not url.startswith(SCHEMES):
        raise AppError(f"ZHICHENG_BUS_URL 须以 {' / '.join(SCHEMES)} 开头，而不是 {url.split(':', 1)[0]}",
                       f"ZHICHENG_BUS_URL must start with {' / '.join(SCHEMES)}, not {url.split(':', 1)[0]}",
                       field="bus_url")


class RedisRemote:
    """One connection to the cross-process bus: `send` publishes, a daemon thread delivers what others publish."""

    def __init__(self, url: str, bus: Any) -> None:
        check_url(url)
        import redis

        self._bus = bus
        self._client = redis.Redis.from_url(url, socket_connect_timeout=5, health_check_interval=30)
        self._pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        self._subscribe()  # before serving: a fact published once we answer is heard
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, name="zhicheng-bus-redis", daemon=True)
        self._thread.start()

    def _subscribe(self) -> bool:
        try:
            self._pubsub.subscribe(CHANNEL)
            return True
        except Exception:  # noqa: BLE001 - a broker down at start: served without it, retried by the listener
            log.warning("bus: the broker is not reachable; caches stay right by the change counters", exc_info=True)
            return False

    def send(self, name: str, payload: dict[str, Any]) -> None:
        """Publish to the other processes; a broker that is down costs a log line, never the publisher's work."""
        try:
            self._client.publish(CHANNEL, json.dumps({"o": ORIGIN, "n": name, "p": payload}, default=str))
        except Exception:  # noqa: BLE001 - the change is committed; the counters keep other caches right
            log.warning("bus: %s not sent to the other workers", name, exc_info=True)

    def _listen(self) -> None:
        while not self._stop.is_set():
            if not self._pubsub.subscribed and not self._subscribe():
                self._stop.wait(5.0)
                continue
            try:
                message = self._pubsub.get_message(timeout=1.0)
            except Exception:  # noqa: BLE001 - reconnect after a broker restart
                log.warning("bus: lost the broker, retrying", exc_info=True)
                self._stop.wait(1.0)
                continue
            if not message or message.get("type") != "message":
                continue
            try:
                doc = json.loads(message["data"])
            except (TypeError, ValueError):
                continue
            if doc.get("o") != ORIGIN:
                self._bus.deliver_remote(str(doc.get("n")), dict(doc.get("p") or {}))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for closing in (self._pubsub.close, self._client.close):
            try:
                closing()
            except Exception:  # noqa: BLE001 - closing at shutdown
                pass
