"""Real-time fan-out for the Server-Sent Events stream, pushed only after the commit.

* `push_after_commit(session, message)` buffers a message in the session (like
  `ecotrack.core.jobs.enqueue`): it is sent when the transaction commits and dropped when it
  rolls back, so a listener never sees a notification that does not exist.
* **Embedded** (no `ECOTRACK_REDIS_URL`): the message goes straight to this process's listeners.
* **Distributed** (`ECOTRACK_REDIS_URL` set): the message is `PUBLISH`ed on one Redis channel;
  every serving process runs one subscriber thread that hands what it receives to its own
  listeners, so a notification created behind one instance reaches a stream held by another.

Each listener is an `asyncio.Queue` on the event loop that serves its stream; deliveries from
other threads go through `loop.call_soon_threadsafe`. A listener that falls `QUEUE_SIZE` messages
behind is told to close; its client reconnects and resumes from the table with `Last-Event-ID`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from ecotrack.core.errors import AppError

logger = logging.getLogger("ecotrack.notifications")

CHANNEL = "ecotrack:notifications"
QUEUE_SIZE = 256
_PENDING_KEY = "ecotrack.notifications.realtime"


@dataclass(frozen=True)
class RealtimeMessage:
    """`event` is the SSE event name; `id` is the SSE id. Who hears it: `user_id` (one user),
    else `audience` (those users, e.g. an organisation's members), else every listener."""

    event: str
    data: dict[str, Any]
    user_id: int | None = None
    id: int | None = None
    audience: tuple[int, ...] | None = None

    def to_json(self) -> str:
        return json.dumps(
            {
                "event": self.event,
                "data": self.data,
                "user_id": self.user_id,
                "id": self.id,
                "audience": None if self.audience is None else list(self.audience),
            },
            default=str,
        )

    @classmethod
    def from_json(cls, raw: str | bytes) -> RealtimeMessage:
        body = json.loads(raw)
        audience = body.get("audience")
        return cls(
            event=str(body["event"]),
            data=dict(body["data"]),
            user_id=body.get("user_id"),
            id=body.get("id"),
            audience=None if audience is None else tuple(int(u) for u in audience),
        )


class StreamLimit(AppError):
    status_code = 429
    code = "too-many-streams"


class StreamCapacity(AppError):
    status_code = 503
    code = "stream-capacity"


CLOSE = RealtimeMessage(event="__close__", data={})


@dataclass(eq=False)
class Listener:
    user_id: int
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[RealtimeMessage] = field(
        default_factory=lambda: asyncio.Queue(QUEUE_SIZE + 1)
    )

    def deliver(self, message: RealtimeMessage) -> None:
        try:
            self.loop.call_soon_threadsafe(self._put, message)
        except RuntimeError:  # the loop has closed: the stream is gone
            pass

    def _put(self, message: RealtimeMessage) -> None:
        if self.queue.qsize() >= QUEUE_SIZE:
            if self.queue.qsize() == QUEUE_SIZE:  # too slow: close; it resumes from the table
                self.queue.put_nowait(CLOSE)
            return
        self.queue.put_nowait(message)


class Fanout:
    """This process's listeners, by user."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_user: dict[int, set[Listener]] = {}

    def add(self, listener: Listener, *, per_user: int, total: int) -> None:
        with self._lock:
            if self.count_locked() >= total:
                raise StreamCapacity(
                    "This server holds as many event streams as it may; retry later",
                    headers={"Retry-After": "30"},
                )
            mine = self._by_user.setdefault(listener.user_id, set())
            if len(mine) >= per_user:
                raise StreamLimit(
                    f"At most {per_user} event streams per user at once; close one first",
                    headers={"Retry-After": "30"},
                )
            mine.add(listener)

    def remove(self, listener: Listener) -> None:
        with self._lock:
            mine = self._by_user.get(listener.user_id)
            if mine is not None:
                mine.discard(listener)
                if not mine:
                    del self._by_user[listener.user_id]

    def count_locked(self) -> int:
        return sum(len(v) for v in self._by_user.values())

    def count(self, user_id: int | None = None) -> int:
        with self._lock:
            if user_id is not None:
                return len(self._by_user.get(user_id, ()))
            return self.count_locked()

    def dispatch(self, message: RealtimeMessage) -> None:
        with self._lock:
            if message.user_id is not None:
                targets = list(self._by_user.get(message.user_id, ()))
            elif message.audience is not None:
                targets = [
                    item for user in message.audience for item in self._by_user.get(user, ())
                ]
            else:
                targets = [item for group in self._by_user.values() for item in group]
        for listener in targets:
            listener.deliver(message)


class Transport(ABC):
    """How a committed message reaches the listening processes (a plugin per mode)."""

    name = ""

    @abstractmethod
    def publish(self, messages: list[RealtimeMessage]) -> None: ...

    def listen(self, fanout: Fanout) -> None:  # noqa: B027 - optional hook
        """Make sure messages from other processes reach `fanout` (no-op in process)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        pass


class InProcessTransport(Transport):
    name = "in-process"

    def __init__(self, fanout: Fanout) -> None:
        self.fanout = fanout

    def publish(self, messages: list[RealtimeMessage]) -> None:
        for message in messages:
            self.fanout.dispatch(message)


class RedisTransport(Transport):
    """`PUBLISH` to one channel; one subscriber thread per process feeds the local fan-out."""

    name = "redis"

    def __init__(self, url: str) -> None:
        import redis

        self.url = url
        self.client = redis.Redis.from_url(url, socket_connect_timeout=5)
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def publish(self, messages: list[RealtimeMessage]) -> None:
        pipe = self.client.pipeline(transaction=False)
        for message in messages:
            pipe.publish(CHANNEL, message.to_json())
        pipe.execute()

    def listen(self, fanout: Fanout) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._ready.clear()
                self._thread = threading.Thread(
                    target=self._run, args=(fanout,), name="ecotrack-sse-redis", daemon=True
                )
                self._thread.start()
        if not self._ready.wait(10):
            raise StreamCapacity("The event bus (Redis) is not reachable; retry later")

    def _run(self, fanout: Fanout) -> None:
        delay = 0.5
        while not self._stop.is_set():
            pubsub = self.client.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(CHANNEL)
                self._ready.set()
                delay = 0.5
                while not self._stop.is_set():
                    raw = pubsub.get_message(timeout=1.0)
                    if raw is None or raw.get("type") != "message":
                        continue
                    try:
                        fanout.dispatch(RealtimeMessage.from_json(raw["data"]))
                    except (ValueError, KeyError, TypeError):
                        logger.warning("ignored a malformed message on %s", CHANNEL)
            except Exception:
                self._ready.clear()
                logger.exception("the Redis event subscriber failed; reconnecting")
                self._stop.wait(delay)
                delay = min(delay * 2, 30.0)
            finally:
                pubsub.close()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self.client.close()


class Realtime:
    """The process-wide fan-out and its transport."""

    def __init__(self, transport_url: str | None) -> None:
        self.fanout = Fanout()
        self.transport: Transport = (
            RedisTransport(transport_url) if transport_url else InProcessTransport(self.fanout)
        )

    def publish(self, messages: list[RealtimeMessage]) -> None:
        self.transport.publish(messages)

    def subscribe(
        self, user_id: int, *, loop: asyncio.AbstractEventLoop, per_user: int, total: int
    ) -> Listener:
        """Register a listener whose queue lives on `loop` (may block while Redis connects)."""
        listener = Listener(user_id=user_id, loop=loop)
        self.fanout.add(listener, per_user=per_user, total=total)
        try:
            self.transport.listen(self.fanout)
        except Exception:
            self.fanout.remove(listener)
            raise
        return listener

    def unsubscribe(self, listener: Listener) -> None:
        self.fanout.remove(listener)

    def close(self) -> None:
        self.transport.close()


_realtime: Realtime | None = None
_realtime_lock = threading.Lock()


def get_realtime() -> Realtime:
    """The process's fan-out, in process or over `ECOTRACK_REDIS_URL` (like the jobs backend)."""
    global _realtime
    with _realtime_lock:
        if _realtime is None:
            from ecotrack.core.settings import get_settings

            _realtime = Realtime(get_settings().redis_url)
        return _realtime


def reset_realtime() -> None:
    """Forget the fan-out (tests switch between the embedded and the Redis transport)."""
    global _realtime
    with _realtime_lock:
        if _realtime is not None:
            _realtime.close()
        _realtime = None


# --- after commit ---------------------------------------------------------------------------


def push_after_commit(session: Session, message: RealtimeMessage) -> None:
    """Send `message` to the listeners once this session's transaction commits."""
    session.info.setdefault(_PENDING_KEY, []).append(message)


@event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    pending: list[RealtimeMessage] | None = session.info.pop(_PENDING_KEY, None)
    if not pending:
        return
    try:
        get_realtime().publish(pending)
    except Exception:  # the data is committed; a missed push is recovered by Last-Event-ID
        logger.exception("could not push %d real-time message(s)", len(pending))


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.parent is None:  # the whole unit of work rolled back
        session.info.pop(_PENDING_KEY, None)
