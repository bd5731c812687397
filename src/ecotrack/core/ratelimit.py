"""Rate limits: fixed windows counted in process (embedded) or in Redis (several API processes).

`limiter.hit(key, limit, window_s)` counts one event and raises `RateLimited` (429 with
`Retry-After`) past the limit. Keys are namespaced by the caller, e.g. `ip:203.0.113.9`.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

from ecotrack.core.errors import RateLimited


class RateLimiter(Protocol):
    def hit(self, key: str, *, limit: int, window_s: int) -> int: ...

    def reset(self) -> None: ...


class MemoryRateLimiter:
    """Fixed-window counters in this process (the embedded mode: one process)."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()
        self._last_sweep = 0

    def hit(self, key: str, *, limit: int, window_s: int) -> int:
        now = time.time()
        window = int(now // window_s)
        with self._lock:
            if window != self._last_sweep:
                self._counts = {k: v for k, v in self._counts.items() if k[1] >= window - 1}
                self._last_sweep = window
            count = self._counts.get((key, window), 0) + 1
            self._counts[(key, window)] = count
        if count > limit:
            retry_after = int((window + 1) * window_s - now) + 1
            raise RateLimited(
                f"Too many requests: at most {limit} per {window_s} s", retry_after=retry_after
            )
        return limit - count

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


class RedisRateLimiter:
    """Fixed-window counters in Redis, shared by every API process."""

    def __init__(self, url: str, *, prefix: str = "ecotrack:rl:") -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._prefix = prefix

    def hit(self, key: str, *, limit: int, window_s: int) -> int:
        now = time.time()
        window = int(now // window_s)
        rkey = f"{self._prefix}{key}:{window}"
        pipe = self._redis.pipeline()
        pipe.incr(rkey)
        pipe.expire(rkey, window_s + 1)
        count = int(pipe.execute()[0])
        if count > limit:
            retry_after = int((window + 1) * window_s - now) + 1
            raise RateLimited(
                f"Too many requests: at most {limit} per {window_s} s", retry_after=retry_after
            )
        return limit - count

    def reset(self) -> None:
        for key in self._redis.scan_iter(f"{self._prefix}*"):
            self._redis.delete(key)


def make_rate_limiter(redis_url: str | None) -> RateLimiter:
    return RedisRateLimiter(redis_url) if redis_url else MemoryRateLimiter()
