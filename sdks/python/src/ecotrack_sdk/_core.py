"""What the sync and async clients share: events, batches, the wire format, signing, retries.

Wire contract (`POST /v1/ingest`): body `{"events": [...]}`, at most 1,000 events and 1 MiB,
optionally `Content-Encoding: gzip`; the key as `Authorization: Bearer eco_…`; signed keys add
`X-EcoTrack-Timestamp: <unix seconds>` and
`X-EcoTrack-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>` where `body` is the
exact bytes sent (the gzip-compressed bytes when compressed). Answer
`{"accepted", "duplicates", "rejected": [{"index", "id", "errors"}]}`.
"""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import hmac
import json
import logging
import random
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

logger = logging.getLogger("ecotrack_sdk")

INGEST_PATH = "/v1/ingest"
MAX_BATCH_EVENTS = 1000
MAX_BODY_BYTES = 1024 * 1024
# Leave room for the envelope and for a server that counts the limit a little differently.
BATCH_BODY_BUDGET = MAX_BODY_BYTES - 16 * 1024
MAX_ID_LENGTH = 128
MAX_METADATA_BYTES = 4096
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
USER_AGENT = "ecotrack-sdk-python/0.1.0"


class EcoTrackError(Exception):
    """A problem the caller should fix (bad arguments, a refused key)."""


@dataclass(frozen=True, slots=True)
class Rejected:
    index: int
    id: str | None
    errors: list[Any]


@dataclass
class Stats:
    """What the client did so far (counts of events)."""

    queued: int = 0
    sent: int = 0  # acknowledged by the server (accepted + duplicates)
    accepted: int = 0
    duplicates: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    failed: int = 0  # given up after the retries, or refused as a whole (4xx)
    dropped: int = 0  # refused at `track()` because the queue was full
    batches: int = 0
    retries: int = 0


def utc_rfc3339(ts: datetime | None) -> str:
    value = ts or datetime.now(UTC)
    if value.tzinfo is None:
        raise EcoTrackError("ts must be timezone-aware (e.g. datetime.now(UTC))")
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def build_event(
    *,
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
    zone: str | None = None,
    region: str | None = None,
) -> dict[str, Any]:
    """One event as the ingest endpoint takes it. The id (uuid4 unless given) is the
    idempotency key: it is fixed here, once, and sent unchanged on every retry."""
    if not provider or not model:
        raise EcoTrackError("provider and model are required")
    for name, value in (("tokens_in", tokens_in), ("tokens_out", tokens_out)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise EcoTrackError(f"{name} must be a non-negative integer, got {value!r}")
    event_id = id if id is not None else str(uuid.uuid4())
    if not event_id or len(event_id) > MAX_ID_LENGTH:
        raise EcoTrackError(f"id must be 1 to {MAX_ID_LENGTH} characters")
    event: dict[str, Any] = {
        "id": event_id,
        "ts": utc_rfc3339(ts),
        "provider": provider,
        "model": model,
        "tokens_in": tokens_in,
        "tokens_out": tokens_out,
    }
    optional = {
        "latency_ms": latency_ms,
        "user": user,
        "team": team,
        "app": app,
        "zone": zone,
        "region": region,
    }
    event.update({k: v for k, v in optional.items() if v is not None})
    if metadata is not None:
        meta = dict(metadata)
        if len(json.dumps(meta, separators=(",", ":")).encode()) > MAX_METADATA_BYTES:
            raise EcoTrackError(f"metadata must serialise to at most {MAX_METADATA_BYTES} bytes")
        event["metadata"] = meta
    return event


def encode_event(event: Mapping[str, Any]) -> bytes:
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def take_batch(queue: list[bytes], *, max_events: int) -> list[bytes]:
    """Pop the next batch from the front of `queue`: at most `max_events` events and
    `BATCH_BODY_BUDGET` bytes of JSON (always at least one event)."""
    size = 0
    count = 0
    for part in queue[:max_events]:
        if count and size + len(part) + 1 > BATCH_BODY_BUDGET:
            break
        size += len(part) + 1
        count += 1
    batch = queue[:count]
    del queue[:count]
    return batch


def batch_body(parts: list[bytes]) -> bytes:
    return b'{"events":[' + b",".join(parts) + b"]}"


def sign(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """`X-EcoTrack-Timestamp` and `X-EcoTrack-Signature: v1=<hex HMAC-SHA256(secret,
    timestamp + "." + body)>` for a signed key."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"X-EcoTrack-Timestamp": stamp, "X-EcoTrack-Signature": f"v1={digest}"}


@dataclass(frozen=True)
class Request:
    """A prepared batch: the same body (and so the same event ids) on every attempt."""

    body: bytes
    headers: dict[str, str]
    count: int


def prepare(parts: list[bytes], *, api_key: str, compress: bool) -> Request:
    raw = batch_body(parts)
    headers = {
        "Authorization": f"Bearer {api_key}",
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }
    body = raw
    if compress:
        body = gzip.compress(raw, compresslevel=6, mtime=0)
        headers["Content-Encoding"] = "gzip"
    return Request(body=body, headers=headers, count=len(parts))


def attempt_headers(request: Request, signing_secret: str | None) -> dict[str, str]:
    """Headers of one attempt: a signed request gets a fresh timestamp (and signature) each time,
    so a retry is not refused as a replay."""
    if signing_secret is None:
        return request.headers
    return {**request.headers, **sign(signing_secret, request.body)}


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And
    Jitter"): attempt n waits uniform(0, min(cap, base * 2**n)); a server's Retry-After is a
    floor, capped at `max_retry_after`."""

    max_retries: int = 6
    base_s: float = 0.5
    cap_s: float = 30.0
    max_retry_after_s: float = 300.0
    rng: Callable[[float, float], float] = random.uniform

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        backoff = self.rng(0.0, min(self.cap_s, self.base_s * 2**attempt))
        if retry_after is not None:
            return max(backoff, min(retry_after, self.max_retry_after_s))
        return backoff


@dataclass(frozen=True)
class Outcome:
    """How one attempt ended: `done` (answer parsed), `retry` (after `wait` seconds),
    `split` (413: send halves), or `fail` (a 4xx the same request will not fix)."""

    kind: str
    wait: float | None = None
    detail: str = ""
    answer: dict[str, Any] | None = None


def classify(status: int, headers: Mapping[str, str], text: str) -> Outcome:
    if 200 <= status < 300:
        try:
            answer = json.loads(text) if text else {}
        except ValueError:
            answer = {}
        return Outcome("done", answer=answer if isinstance(answer, dict) else {})
    if status in RETRY_STATUSES or status >= 500:
        return Outcome(
            "retry", wait=parse_retry_after(headers.get("retry-after")), detail=f"HTTP {status}"
        )
    if status == 413:
        return Outcome("split", detail="HTTP 413")
    return Outcome("fail", detail=f"HTTP {status}: {text[:500]}")


def record_answer(stats: Stats, answer: Mapping[str, Any], count: int) -> None:
    accepted = int(answer.get("accepted", 0) or 0)
    duplicates = int(answer.get("duplicates", 0) or 0)
    rejected = [
        Rejected(index=int(r.get("index", -1)), id=r.get("id"), errors=list(r.get("errors", [])))
        for r in answer.get("rejected", []) or []
        if isinstance(r, Mapping)
    ]
    stats.accepted += accepted
    stats.duplicates += duplicates
    stats.sent += count - len(rejected)
    stats.rejected.extend(rejected)
    stats.batches += 1
    if rejected:
        logger.warning("EcoTrack rejected %d event(s): %s", len(rejected), rejected[:3])


ErrorHandler = Callable[[Exception, int], None]


def default_on_error(exc: Exception, count: int) -> None:
    logger.error("EcoTrack: %d event(s) could not be delivered: %s", count, exc)


def to_datetime(value: float | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromtimestamp(value, UTC)
