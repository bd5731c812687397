"""`AsyncEcoTrack`: the asyncio client. `track()` is a plain (non-blocking) call that queues; a
background task sends batches by size and time; `await flush()` / `await aclose()`."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import threading
import time
import weakref
from collections.abc import Mapping
from datetime import datetime
from types import TracebackType
from typing import Any

import httpx

from ecotrack_sdk import _core
from ecotrack_sdk._core import (
    INGEST_PATH,
    MAX_BATCH_EVENTS,
    EcoTrackError,
    ErrorHandler,
    Request,
    RetryPolicy,
    Stats,
)
from ecotrack_sdk.client import DEFAULT_BASE_URL, EcoTrack


class AsyncEcoTrack:
    """The asyncio twin of `EcoTrack` (same arguments, same wire format, same retries).

    Use it inside one event loop: `async with AsyncEcoTrack(key, url) as et: et.track(...)`.
    Events still queued when the interpreter exits without `aclose()` are sent synchronously.
    """

    def __init__(
        self,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        signing_secret: str | None = None,
        *,
        batch_size: int = 100,
        flush_interval: float = 2.0,
        max_queue_size: int = 100_000,
        gzip: bool = True,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        shutdown_timeout: float = 10.0,
        on_error: ErrorHandler | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if not api_key:
            raise EcoTrackError("api_key is required")
        if not 1 <= batch_size <= MAX_BATCH_EVENTS:
            raise EcoTrackError(f"batch_size must be 1 to {MAX_BATCH_EVENTS}")
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.signing_secret = signing_secret
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.max_queue_size = max_queue_size
        self.gzip = gzip
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.shutdown_timeout = shutdown_timeout
        self.on_error = on_error or _core.default_on_error
        self.stats = Stats()
        self._transport = transport
        self._http: httpx.AsyncClient | None = None
        self._queue: list[bytes] = []
        self._lock = threading.Lock()  # track() may be called from any thread
        self._send_lock: asyncio.Lock | None = None
        self._wakeup: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._deadline: float | None = None
        self._closed = False
        _live.add(self)

    # --- public ---------------------------------------------------------------------------

    def track(
        self,
        provider: str,
        model: str,
        tokens_in: int,
        tokens_out: int,
        latency_ms: float | None = None,
        user: str | None = None,
        team: str | None = None,
        app: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        id: str | None = None,  # noqa: A002 - the wire name
        ts: datetime | None = None,
        *,
        zone: str | None = None,
        region: str | None = None,
    ) -> str:
        """Queue one model call; returns its event id. Does not block and needs no `await`."""
        event = _core.build_event(
            provider=provider,
            model=model,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            latency_ms=latency_ms,
            user=user,
            team=team,
            app=app,
            metadata=metadata,
            id=id,
            ts=ts,
            zone=zone,
            region=region,
        )
        part = _core.encode_event(event)
        with self._lock:
            if self._closed:
                raise EcoTrackError("this AsyncEcoTrack client is closed")
            if len(self._queue) >= self.max_queue_size:
                self.stats.dropped += 1
                return str(event["id"])
            self._queue.append(part)
            self.stats.queued += 1
            full = len(self._queue) >= self.batch_size
        self._ensure_task()
        if full and self._wakeup is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(self._wakeup.set)
        return str(event["id"])

    async def flush(self) -> None:
        """Send everything queued so far and wait until it is acknowledged (or given up on)."""
        self._bind_loop()
        while await self._send_next():
            pass

    async def aclose(self) -> None:
        """Flush (retrying for at most `shutdown_timeout` seconds) and stop. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._deadline = time.monotonic() + self.shutdown_timeout
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def __aenter__(self) -> AsyncEcoTrack:
        self._ensure_task()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    # --- the sender -----------------------------------------------------------------------

    def _bind_loop(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # first use, or a new loop (tests): fresh loop-bound state
            self._loop = loop
            self._send_lock = asyncio.Lock()
            self._wakeup = asyncio.Event()
            self._http = httpx.AsyncClient(
                base_url=self.base_url, timeout=self.timeout, transport=self._transport
            )

    def _ensure_task(self) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop here: the events wait for flush() or the exit handler
        if self._closed:
            return
        self._bind_loop()
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        assert self._wakeup is not None  # noqa: S101 - set by _bind_loop
        last = time.monotonic()
        while True:
            remaining = max(0.0, last + self.flush_interval - time.monotonic())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), remaining)
            self._wakeup.clear()
            # Full batches at once; what is left when the interval is over.
            interval_over = time.monotonic() >= last + self.flush_interval
            while await self._send_next(full_only=not interval_over):
                pass
            if interval_over:
                last = time.monotonic()

    async def _send_next(self, *, full_only: bool = False) -> bool:
        assert self._send_lock is not None  # noqa: S101 - set by _bind_loop
        async with self._send_lock:
            with self._lock:
                if not self._queue or (full_only and len(self._queue) < self.batch_size):
                    return False
                parts = _core.take_batch(self._queue, max_events=self.batch_size)
            await self._deliver(parts)
            return True

    async def _deliver(self, parts: list[bytes]) -> None:
        request = _core.prepare(parts, api_key=self.api_key, compress=self.gzip)
        try:
            outcome = await self._post(request)
        except asyncio.CancelledError:
            with self._lock:  # put them back in front: aclose() sends them
                self._queue[:0] = parts
            raise
        except Exception as exc:
            self.stats.failed += len(parts)
            self.on_error(exc, len(parts))
            return
        if outcome.kind == "done":
            _core.record_answer(self.stats, outcome.answer or {}, len(parts))
        elif outcome.kind == "split" and len(parts) > 1:
            half = len(parts) // 2
            await self._deliver(parts[:half])
            await self._deliver(parts[half:])
        else:
            self.stats.failed += len(parts)
            self.on_error(EcoTrackError(outcome.detail), len(parts))

    async def _post(self, request: Request) -> _core.Outcome:
        assert self._http is not None  # noqa: S101 - set by _bind_loop
        attempt = 0
        while True:
            try:
                response = await self._http.post(
                    INGEST_PATH,
                    content=request.body,
                    headers=_core.attempt_headers(request, self.signing_secret),
                )
                outcome = _core.classify(response.status_code, response.headers, response.text)
            except httpx.TransportError as exc:
                outcome = _core.Outcome("retry", detail=f"{type(exc).__name__}: {exc}")
            if outcome.kind != "retry":
                return outcome
            if attempt >= self.retry.max_retries:
                return _core.Outcome("fail", detail=f"gave up after retries: {outcome.detail}")
            wait = self.retry.delay(attempt, outcome.wait)
            if self._deadline is not None and time.monotonic() + wait > self._deadline:
                return _core.Outcome("fail", detail=f"shutting down: {outcome.detail}")
            attempt += 1
            self.stats.retries += 1
            await asyncio.sleep(wait)

    def _drain_sync(self) -> None:
        """At interpreter exit: send what is still queued with a synchronous client."""
        with self._lock:
            parts, self._queue = self._queue, []
            self._closed = True
        if not parts:
            return
        sync = EcoTrack(
            self.api_key,
            self.base_url,
            self.signing_secret,
            batch_size=self.batch_size,
            gzip=self.gzip,
            retry=self.retry,
            shutdown_timeout=self.shutdown_timeout,
            on_error=self.on_error,
        )
        with sync._lock:
            sync._queue.extend(parts)
        sync.close()
        self.stats.sent += sync.stats.sent
        self.stats.failed += sync.stats.failed


_live: weakref.WeakSet[AsyncEcoTrack] = weakref.WeakSet()


@atexit.register
def _drain_all() -> None:
    for client in list(_live):
        try:
            client._drain_sync()
        except Exception:  # noqa: S110 - nothing useful to do at interpreter exit
            pass
