"""Failed-login counters: a sliding one-hour window per account (ASVS: at most 100 per hour).

A sliding log, not fixed windows, so 100 failures at 10:59 and 100 more at 11:00 are impossible.
In process for the embedded mode; a Redis sorted set per key when `ECOTRACK_REDIS_URL` is set, so
every API process sees the same count. Keys carry a keyed digest of the email, never the address,
and unknown addresses are counted exactly like known ones (a lockout must not reveal accounts).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from functools import cache
from typing import Protocol

WINDOW_S = 3600


class FailureCounter(Protocol):
    def failures(self, key: str) -> tuple[int, int]:
        """(failures inside the window, seconds until the oldest of them leaves it)."""
        ...

    def add(self, key: str) -> None: ...

    def clear(self, key: str) -> None: ...


class MemoryFailureCounter:
    def __init__(
        self,
        window_s: int = WINDOW_S,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.window_s = window_s
        self.max_keys = max_keys
        self.clock = clock  # tests move it to see the window slide
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _trim(self, key: str, now: float) -> deque[float]:
        events = self._events.get(key)
        if events is None:
            return deque()
        while events and events[0] <= now - self.window_s:
            events.popleft()
        if not events:
            self._events.pop(key, None)
        return events

    def failures(self, key: str) -> tuple[int, int]:
        now = self.clock()
        with self._lock:
            events = self._trim(key, now)
            if not events:
                return 0, 0
            return len(events), int(events[0] + self.window_s - now) + 1

    def add(self, key: str) -> None:
        now = self.clock()
        with self._lock:
            if len(self._events) >= self.max_keys:  # bound memory: drop the stalest keys
                for stale in [k for k, v in self._events.items() if v and v[-1] < now - 60]:
                    self._events.pop(stale, None)
            self._events.setdefault(key, deque()).append(now)

    def clear(self, key: str) -> None:
        with self._lock:
            self._events.pop(key, None)

    def reset(self) -> None:
        with self._lock:
            self._events.clear()


class RedisFailureCounter:
    def __init__(self, url: str, *, window_s: int = WINDOW_S, prefix: str = "ecotrack:lf:") -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.window_s = window_s
        self.prefix = prefix

    def failures(self, key: str) -> tuple[int, int]:
        now = time.time()
        rkey = self.prefix + key
        pipe = self._redis.pipeline()
        pipe.zremrangebyscore(rkey, 0, now - self.window_s)
        pipe.zcard(rkey)
        pipe.zrange(rkey, 0, 0, withscores=True)
        _, count, oldest = pipe.execute()
        if not count:
            return 0, 0
        return int(count), int(oldest[0][1] + self.window_s - now) + 1

    def add(self, key: str) -> None:
        now = time.time()
        rkey = self.prefix + key
        pipe = self._redis.pipeline()
        pipe.zadd(rkey, {f"{now:.6f}:{secrets.token_hex(4)}": now})
        pipe.expire(rkey, self.window_s + 1)
        pipe.execute()

    def clear(self, key: str) -> None:
        self._redis.delete(self.prefix + key)


_memory = MemoryFailureCounter()


@cache
def _redis_counter(url: str) -> RedisFailureCounter:
    return RedisFailureCounter(url)


def failure_counter(redis_url: str | None) -> FailureCounter:
    return _redis_counter(redis_url) if redis_url else _memory


def reset_memory_counter() -> None:
    _memory.reset()
