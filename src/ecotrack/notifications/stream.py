"""The Server-Sent Events stream of one user: replay from the table, then live pushes.

Wire format (https://html.spec.whatwg.org/multipage/server-sent-events.html):

* `retry: 5000` first (the browser's reconnect delay, ms);
* each notification as `id: <notification id>` / `event: notification` / `data: <JSON>`;
* `event: leaderboard.changed` / `data: {"scope": ..., "scope_id": ...}` (no id: it does not move
  the client's Last-Event-ID);
* `: keep-alive` comments every `ECOTRACK_NOTIFICATIONS_STREAM_HEARTBEAT_S` seconds so proxies
  keep the connection open and dead clients are noticed.

The stream ends after `ECOTRACK_NOTIFICATIONS_STREAM_MAX_S` seconds (the client reconnects with
`Last-Event-ID`, and is authenticated again), or when it falls too far behind.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.concurrency import run_in_threadpool

from ecotrack.core.db import Database
from ecotrack.core.settings import Settings
from ecotrack.notifications.realtime import CLOSE, Listener, RealtimeMessage, get_realtime
from ecotrack.notifications.service import notifications_service

RETRY_MS = 5000
EVENT_STREAM = "text/event-stream"
HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def format_event(event: str, data: dict[str, Any], event_id: int | None = None) -> str:
    lines = []
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.append(f"event: {event}")
    lines.append("data: " + json.dumps(data, separators=(",", ":"), default=str))
    return "\n".join(lines) + "\n\n"


def _replay(db: Database, user_id: int, after_id: int) -> list[dict[str, Any]]:
    with db.session_factory() as session:
        return notifications_service.since(session, user_id=user_id, after_id=after_id)


async def open_listener(user_id: int, settings: Settings) -> Listener:
    """Register the stream (429 over the per-user limit, 503 over the process limit)."""
    realtime = get_realtime()
    loop = asyncio.get_running_loop()
    return await run_in_threadpool(
        realtime.subscribe,
        user_id,
        loop=loop,
        per_user=settings.notifications_stream_per_user,
        total=settings.notifications_stream_max_total,
    )


async def events(
    *,
    listener: Listener,
    db: Database,
    settings: Settings,
    last_event_id: int | None,
) -> AsyncIterator[str]:
    realtime = get_realtime()
    loop = asyncio.get_running_loop()
    try:
        yield f"retry: {RETRY_MS}\n\n"
        last_id = last_event_id
        if last_event_id is not None:
            for item in await run_in_threadpool(_replay, db, listener.user_id, last_event_id):
                yield format_event("notification", item, item["id"])
                last_id = item["id"]
        deadline = loop.time() + settings.notifications_stream_max_s
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            try:
                message: RealtimeMessage = await asyncio.wait_for(
                    listener.queue.get(),
                    timeout=min(settings.notifications_stream_heartbeat_s, remaining),
                )
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            if message is CLOSE:
                return
            if message.id is not None:
                if last_id is not None and message.id <= last_id:
                    continue  # already replayed from the table
                last_id = message.id
            yield format_event(message.event, message.data, message.id)
    finally:
        realtime.unsubscribe(listener)
