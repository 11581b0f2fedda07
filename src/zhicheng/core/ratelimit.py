"""Rate limits keyed by (client, resource), kept by the `limits` library: in memory (the embedded default) or in
Redis, so that several workers share one count instead of each allowing the whole limit.

The strategy is the moving window: at most `per_minute` calls in any 60 seconds. It is the closest of the kept
strategies to the token bucket used before (a burst up to the limit, never twice the limit across a window's
edge as a fixed window allows); the wait it names is until the oldest call in the window leaves it.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)
NAMESPACE = "zhicheng-open"
RETRY_STORE_SECONDS = 5.0  # after the shared store failed, calls go unlimited this long before it is tried again


def scope_of(database_url: str) -> str:
    """A short token naming one platform (its database), so platforms sharing one Redis keep apart counts."""
    return hashlib.sha256(database_url.encode("utf-8")).hexdigest()[:12]


class _MemoryStore(MemoryStorage):
    """limits' memory storage sweeping out old calls once a second instead of every 10 ms: a sweep visits every
    client's list, which with thousands of clients would keep a core busy. The counts never depend on it."""

    def _MemoryStorage__schedule_expiry(self) -> None:  # noqa: N802 (overrides the name-mangled hook)
        if not self.timer.is_alive():
            self.timer = threading.Timer(1.0, self._MemoryStorage__expire_events)
            self.timer.daemon = True
            self.timer.start()


def _storage(uri: str) -> Storage:
    if uri.startswith("memory://"):
        return _MemoryStore()
    if uri.startswith(("redis://", "rediss://", "redis+unix://")):  # a lost Redis holds a call a second at most
        return storage_from_string(uri, socket_connect_timeout=1.0, socket_timeout=1.0)
    return storage_from_string(uri)


class RateLimiter:
    """`take(key, per_minute)` counts one call; returns 0 when allowed, else the seconds to wait."""

    def __init__(self, storage_uri: str = "memory://", scope: str = "") -> None:
        self.storage_uri = storage_uri
        self._scope = scope
        self._storage = _storage(storage_uri)
        self._window = MovingWindowRateLimiter(self._storage)
        self._items: dict[int, RateLimitItemPerMinute] = {}
        self._down_until = 0.0

    def _item(self, per_minute: int) -> RateLimitItemPerMinute:
        item = self._items.get(per_minute)
        if item is None:
            item = self._items[per_minute] = RateLimitItemPerMinute(per_minute, namespace=NAMESPACE)
        return item

    def take(self, key: tuple, per_minute: int) -> int:
        if per_minute <= 0:  # 0 or less: unlimited
            return 0
        if self._down_until and time.monotonic() < self._down_until:
            return 0
        item = self._item(per_minute)
        ids = (self._scope, "/".join(map(str, key)))  # one identifier: limits formats each one it is given
        try:
            if self._window.hit(item, *ids):
                return 0
            reset, _left = self._window.get_window_stats(item, *ids)
        except Exception as exc:  # the shared store is down: serve rather than refuse everyone, and say so
            if not self._down_until:
                log.warning("rate limit store %s unreachable, calls not limited: %s", self.storage_uri, exc)
            self._down_until = time.monotonic() + RETRY_STORE_SECONDS
            return 0
        self._down_until = 0.0
        return max(1, math.ceil(reset - time.time()))

    def reset(self) -> None:
        """Forget every count (the tests' and the operator's clean slate)."""
        self._storage.reset()
