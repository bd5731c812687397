"""The ingest request body: gzip decoding with a cap, the envelope, per-event validation.

Nothing here touches the database. A malformed envelope raises (the request stores nothing);
per-event problems come back as `RejectedEvent`s and the valid events as `usage_event` rows.
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError

from ecotrack.core.errors import AppError, PayloadTooLarge
from ecotrack.factors.llm import ModelCatalogue
from ecotrack.usage.enrich import zone_for_region
from ecotrack.usage.schemas import EventError, IngestEvent, RejectedEvent

_EVENTS = TypeAdapter(list[IngestEvent])
_CHUNK = 64 * 1024


class InvalidEnvelope(AppError):
    status_code = 400
    code = "invalid-envelope"


class UnsupportedEncoding(AppError):
    status_code = 415
    code = "unsupported-encoding"


def decode_body(body: bytes, content_encoding: str | None, *, max_bytes: int) -> bytes:
    """The body as JSON bytes: gzip decoded in chunks, never more than `max_bytes` (413)."""
    encoding = (content_encoding or "identity").strip().lower()
    if encoding in ("", "identity"):
        if len(body) > max_bytes:
            raise PayloadTooLarge(f"The batch exceeds {max_bytes} bytes")
        return body
    if encoding not in ("gzip", "x-gzip"):
        raise UnsupportedEncoding(f"Content-Encoding {encoding!r} is not supported (use gzip)")
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    out = bytearray()
    pending = body
    try:
        while True:
            # Never let one call produce more than what is left of the cap (+1 to detect it).
            chunk = inflater.decompress(pending, max_bytes - len(out) + 1)
            out += chunk
            if len(out) > max_bytes:
                raise PayloadTooLarge(f"The batch exceeds {max_bytes} bytes once decompressed")
            pending = inflater.unconsumed_tail
            if not pending:
                break
        if not inflater.eof:
            raise InvalidEnvelope("The gzip stream is truncated")
    except zlib.error as exc:
        raise InvalidEnvelope(f"The body is not valid gzip: {exc}") from None
    return bytes(out)


def parse_envelope(raw: bytes, *, max_events: int) -> list[Any]:
    """The `events` list of `{"events": [...]}`; anything else is an invalid envelope."""
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidEnvelope(f"The body is not JSON: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("events"), list):
        raise InvalidEnvelope('The body must be a JSON object {"events": [...]}')
    extra = sorted(set(doc) - {"events"})
    if extra:
        raise InvalidEnvelope(f"Unknown envelope field(s): {', '.join(extra)}")
    events: list[Any] = doc["events"]
    if len(events) > max_events:
        raise PayloadTooLarge(f"A batch holds at most {max_events} events, got {len(events)}")
    return events


def _id_of(item: Any) -> str | None:
    if isinstance(item, dict):
        value = item.get("id")
        if isinstance(value, str) and 0 < len(value) <= 128:
            return value
    return None


def _error(loc: list[str | int], msg: str, type_: str = "value_error") -> EventError:
    return EventError(loc=loc, msg=msg, type=type_)


def validate_events(
    items: list[Any],
    *,
    org_id: int,
    now: datetime,
    retention_days: int,
    future_skew_s: int,
    catalogue: ModelCatalogue,
) -> tuple[list[dict[str, Any]], list[RejectedEvent]]:
    """Valid events as `usage_event` rows (plus `zone_req`), and the rejected ones."""
    errors: dict[int, list[EventError]] = {}
    try:
        parsed = _EVENTS.validate_python(items)
        good = list(range(len(items)))
    except ValidationError as exc:
        for err in exc.errors():
            loc = list(err["loc"])
            index = loc[0] if loc and isinstance(loc[0], int) else -1
            errors.setdefault(index, []).append(
                _error(
                    [p if isinstance(p, int) else str(p) for p in loc[1:]], err["msg"], err["type"]
                )
            )
        good = [i for i in range(len(items)) if i not in errors]
        parsed = _EVENTS.validate_python([items[i] for i in good])
    oldest = now - timedelta(days=retention_days)
    newest = now + timedelta(seconds=future_skew_s)
    rows: list[dict[str, Any]] = []
    for index, event in zip(good, parsed, strict=True):
        ts = event["ts"]
        if ts.tzinfo is not UTC:
            ts = ts.astimezone(UTC)
        problems = []
        if ts < oldest:
            problems.append(_error(["ts"], f"older than the retention period ({retention_days} d)"))
        elif ts > newest:
            problems.append(_error(["ts"], "in the future"))
        zone_req = None
        zone, region = event.get("zone"), event.get("region")
        if zone:
            mix = catalogue.mix(zone)
            if mix is None:
                problems.append(_error(["zone"], f"unknown zone {zone!r}"))
            else:
                zone_req = mix.zone
        elif region:
            zone_req = zone_for_region(region)
        if problems:
            errors[index] = problems
            continue
        rows.append(
            {
                "org_id": org_id,
                "event_id": event["id"],
                "ts": ts,
                "day": ts.date(),
                "received_at": now,
                "provider": event["provider"],
                "model": event["model"],
                "tokens_in": event["tokens_in"],
                "tokens_out": event["tokens_out"],
                "latency_ms": event.get("latency_ms"),
                "zone": zone,
                "region": region,
                "user_ref": event.get("user") or "",
                "team": event.get("team") or "",
                "app": event.get("app") or "",
                "meta": event.get("metadata"),
                "enriched_at": now,
                "zone_req": zone_req,
                "_index": index,
            }
        )
    rejected = [
        RejectedEvent(index=i, id=_id_of(items[i]) if 0 <= i < len(items) else None, errors=errs)
        for i, errs in sorted(errors.items())
    ]
    return rows, rejected
