"""In-process token buckets keyed by (client, resource): a burst up to the limit, refilled evenly per minute."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """`take(key, per_minute)` spends one token; returns 0 when allowed, else the seconds to wait."""

    def __init__(self, clock=time.monotonic, max_keys: int = 100_000) -> None:
        self._clock = clock
        self._buckets: dict[tuple, _Bucket] = {}
        self._lock = threading.Lock()
        self._max_keys = max_keys

    def take(self, key: tuple, per_minute: int) -> int:
        if per_minute <= 0:  # 0 or less: unlimited
            return 0
        now = self._clock()
        rate = per_minute / 60.0
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                if len(self._buckets) >= self._max_keys:
                    self._prune(now)
                bucket = self._buckets[key] = _Bucket(float(per_minute), now)
            bucket.tokens = min(float(per_minute), bucket.tokens + (now - bucket.at) * rate)
            bucket.at = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0
            return max(1, math.ceil((1.0 - bucket.tokens) / rate))

    def _prune(self, now: float) -> None:
        """Forget buckets idle for over a minute (they are full again anyway)."""
        for key in [k for k, b in self._buckets.items() if now - b.at > 60]:
            del self._buckets[key]

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()
