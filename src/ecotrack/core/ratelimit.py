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
    blocking: bool  # whether `hit` waits on the network (async callers use a thread then)

    def hit(self, key: str, *, limit: int, window_s: int) -> int: ...

    def reset(self) -> None: ...


class MemoryRateLimiter:
    """Fixed-window counters in this process (the embedded mode: one process)."""

    blocking = False

    def __init__(self) -> None:
        # (key, window length, window index) -> count; windows of different lengths coexist.
        self._counts: dict[tuple[str, int, int], int] = {}
        self._lock = threading.Lock()
        self._next_sweep = 0.0

    def hit(self, key: str, *, limit: int, window_s: int) -> int:
        now = time.time()
        window = int(now // window_s)
        with self._lock:
            if now >= self._next_sweep:  # drop windows that have ended, at most once a second
                self._counts = {k: v for k, v in self._counts.items() if (k[2] + 1) * k[1] > now}
                self._next_sweep = now + 1.0
            slot = (key, window_s, window)
            count = self._counts.get(slot, 0) + 1
            self._counts[slot] = count
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

    blocking = True

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
