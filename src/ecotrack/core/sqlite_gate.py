"""A fair queue for SQLite's single writer, across threads and `serve --workers` processes.

SQLite lets one connection write at a time. A connection that finds the write lock taken waits
in SQLite's busy handler, which sleeps 1, 2, 5, 10 … 100 ms between attempts and can lose the
race to a client that sends its next write at once, again and again: under a steady stream of
writes the waiting times grow long-tailed (an ingest p99 over 700 ms with two clients).

A `WriteGate` queues writers before they reach SQLite:

* in one process, an `asyncio.Lock` per event loop: first come, first served, and waiting holds
  no thread of the pool the endpoints run in;
* across processes, an exclusive `flock` on a file next to the database (`<db>.write-gate`):
  tried without blocking, and when another process holds it, waited for in the kernel on a
  thread of the gate's own, so the loop never blocks, the waiter wakes as soon as the lock is
  given back, and a cancelled request leaves nothing held.

Only code paths that opt in use the gate (ingest); any other writer still meets SQLite's busy
timeout, which is as before.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy.engine import make_url

from ecotrack.core.db import Database


class Turn:
    """A held gate: give it back with `release()` (from any thread of the process)."""

    __slots__ = ("_fd", "_lock", "_loop")

    def __init__(self, lock: asyncio.Lock, loop: asyncio.AbstractEventLoop, fd: int | None):
        self._lock: asyncio.Lock | None = lock
        self._loop = loop
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the descriptor drops its flock
        lock, self._lock = self._lock, None
        if lock is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            lock.release()
        else:
            self._loop.call_soon_threadsafe(lock.release)


class WriteGate:
    """One holder at a time for one SQLite database file."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        # One waiter per process at a time (the asyncio lock is held while waiting).
        self._waiter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-gate")
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    async def acquire(self) -> Turn:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        await lock.acquire()
        try:
            fd = await self._file_lock() if self.path is not None else None
        except BaseException:
            lock.release()
            raise
        return Turn(lock, loop, fd)

    async def _file_lock(self) -> int:
        assert self.path is not None  # noqa: S101 - checked by the caller
        # A descriptor per turn: flock belongs to the open file, so threads of one process
        # sharing a descriptor would not exclude each other.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            pass
        except BaseException:
            os.close(fd)
            raise
        # Held by another process: wait in the kernel (woken the moment it is given back; a
        # retry loop here lost the race to the holder's next request again and again, p99 ×3)
        # on this gate's own thread, so the event loop and the endpoints' pool stay free.
        waiting = asyncio.get_running_loop().run_in_executor(
            self._waiter, fcntl.flock, fd, fcntl.LOCK_EX
        )
        try:
            await asyncio.shield(waiting)
        except BaseException:
            # Cancelled (or failed): whenever the wait ends, give the lock back.
            waiting.add_done_callback(lambda _done: os.close(fd))
            raise
        return fd


_gates: dict[str, WriteGate] = {}
_gates_lock = threading.Lock()


def gate_for(db: Database) -> WriteGate | None:
    """The gate of `db`'s SQLite file (shared by every caller in the process); None on
    PostgreSQL. An in-memory SQLite database gets an in-process gate only."""
    if db.dialect != "sqlite":
        return None
    database = make_url(str(db.engine.url)).database
    key = database or ":memory:"
    with _gates_lock:
        gate = _gates.get(key)
        if gate is None:
            path = None
            if database and database != ":memory:" and not database.startswith("file:"):
                path = Path(database).with_name(Path(database).name + ".write-gate")
            gate = _gates[key] = WriteGate(path)
        return gate
