"""`EcoTrack`: the synchronous client. `track()` only queues; a background thread sends batches
when `batch_size` events are waiting or `flush_interval` seconds have passed, and on exit."""

from __future__ import annotations

import atexit
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

DEFAULT_BASE_URL = "http://127.0.0.1:8000"


class EcoTrack:
    """Send AI-usage events to EcoTrack.

    >>> et = EcoTrack("eco_…", "https://ecotrack.example.org")
    >>> et.track("openai", "gpt-4o-mini", tokens_in=812, tokens_out=96, latency_ms=640)

    `signing_secret` (for keys created with `signed`) is usually the API key itself: every request
    then carries an HMAC-SHA256 signature. Events are never lost silently: `stats` counts what was
    accepted, duplicated, rejected (with the server's reasons) or given up on, and `on_error` is
    called for every batch given up on.
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
        transport: httpx.BaseTransport | None = None,
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
        self.retry = retry or RetryPolicy()
        self.shutdown_timeout = shutdown_timeout
        self.on_error = on_error or _core.default_on_error
        self.stats = Stats()
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport)
        self._queue: list[bytes] = []
        self._lock = threading.Lock()
        self._wakeup = threading.Condition(self._lock)
        self._send_lock = threading.Lock()  # one batch on the wire at a time, in order
        self._deadline: float | None = None  # set while closing: retries stop waiting then
        self._closed = False
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ecotrack-sdk", daemon=True)
        self._thread.start()
        _register_exit(self)

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
        """Queue one model call; returns its event id (the idempotency key). Never blocks on
        the network; a full queue drops the event (counted in `stats.dropped`)."""
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
                raise EcoTrackError("this EcoTrack client is closed")
            if len(self._queue) >= self.max_queue_size:
                self.stats.dropped += 1
                return str(event["id"])
            self._queue.append(part)
            self.stats.queued += 1
            if len(self._queue) >= self.batch_size:
                self._wakeup.notify()
        return str(event["id"])

    def flush(self) -> None:
        """Send everything queued so far and wait until it is acknowledged (or given up on)."""
        while self._send_next():
            pass

    def close(self) -> None:
        """Flush (retrying for at most `shutdown_timeout` seconds) and stop. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._deadline = time.monotonic() + self.shutdown_timeout
            self._closing.set()
            self._wakeup.notify()
        self._thread.join(self.shutdown_timeout)
        self.flush()
        self._http.close()

    def __enter__(self) -> EcoTrack:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    # --- the sender -----------------------------------------------------------------------

    def _run(self) -> None:
        last = time.monotonic()
        while True:
            with self._lock:
                if not self._closed and len(self._queue) < self.batch_size:
                    self._wakeup.wait(max(0.0, last + self.flush_interval - time.monotonic()))
                if self._closed:
                    return
            # Full batches at once; what is left when the interval is over.
            interval_over = time.monotonic() >= last + self.flush_interval
            while not self._closing.is_set() and self._send_next(full_only=not interval_over):
                pass
            if interval_over:
                last = time.monotonic()

    def _send_next(self, *, full_only: bool = False) -> bool:
        """Send one batch from the queue; False when there was nothing (or, with `full_only`,
        no full batch) to send."""
        with self._send_lock:
            with self._lock:
                if not self._queue or (full_only and len(self._queue) < self.batch_size):
                    return False
                parts = _core.take_batch(self._queue, max_events=self.batch_size)
            self._deliver(parts)
            return True

    def _deliver(self, parts: list[bytes]) -> None:
        request = _core.prepare(parts, api_key=self.api_key, compress=self.gzip)
        try:
            outcome = self._post(request)
        except Exception as exc:  # never let a delivery problem escape into the caller's app
            self.stats.failed += len(parts)
            self.on_error(exc, len(parts))
            return
        if outcome.kind == "done":
            _core.record_answer(self.stats, outcome.answer or {}, len(parts))
        elif outcome.kind == "split" and len(parts) > 1:
            half = len(parts) // 2
            self._deliver(parts[:half])
            self._deliver(parts[half:])
        else:
            self.stats.failed += len(parts)
            self.on_error(EcoTrackError(outcome.detail), len(parts))

    def _post(self, request: Request) -> _core.Outcome:
        attempt = 0
        while True:
            try:
                response = self._http.post(
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
            end = time.monotonic() + wait
            if self._closing.wait(wait):  # closing: wait only as long as the shutdown allows
                if self._deadline is None or end > self._deadline:
                    return _core.Outcome("fail", detail=f"shutting down: {outcome.detail}")
                time.sleep(max(0.0, end - time.monotonic()))
            attempt += 1
            self.stats.retries += 1


_live: weakref.WeakSet[EcoTrack] = weakref.WeakSet()
_exit_registered = False
_exit_lock = threading.Lock()


def _register_exit(client: EcoTrack) -> None:
    global _exit_registered
    with _exit_lock:
        _live.add(client)
        if not _exit_registered:
            atexit.register(_close_all)
            _exit_registered = True


def _close_all() -> None:
    for client in list(_live):
        try:
            client.close()
        except Exception:  # noqa: S110 - nothing useful to do at interpreter exit
            pass
