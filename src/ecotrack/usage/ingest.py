"""The ingest request body: gzip decoding with a cap, the envelope, per-event validation.

Nothing here touches the database. A malformed envelope raises (the request stores nothing);
per-event problems come back as `RejectedEvent`s and the valid events as `usage_event` rows.

`parse_and_validate` is `validate_events(parse_envelope(...))` with a compiled fast path
(msgspec) for clean batches; anything the fast path is not sure about goes the slow way.
"""

from __future__ import annotations

import contextlib
import re
import zlib
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import msgspec
import orjson
from pydantic import TypeAdapter, ValidationError

from ecotrack.core.errors import AppError, PayloadTooLarge
from ecotrack.factors.llm import ElectricityMix, ModelCatalogue
from ecotrack.usage.enrich import zone_for_region
from ecotrack.usage.schemas import (
    MAX_METADATA_BYTES,
    MAX_TOKENS,
    EventError,
    IngestEvent,
    RejectedEvent,
)

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


_MISSING: Any = object()


class _EventChecks:
    """What an event must pass beyond its schema, for both decoding paths: `ts` within the
    retention period and at most the skew ahead, a known `zone`; and the zone to compute with
    (the zone's, or the cloud region's country). Lookups are remembered for the batch."""

    __slots__ = ("_catalogue", "_mixes", "_newest", "_oldest", "_regions", "_retention_days")

    def __init__(
        self, *, now: datetime, retention_days: int, future_skew_s: int, catalogue: ModelCatalogue
    ) -> None:
        self._oldest = now - timedelta(days=retention_days)
        self._newest = now + timedelta(seconds=future_skew_s)
        self._retention_days = retention_days
        self._catalogue = catalogue
        self._mixes: dict[str, ElectricityMix | None] = {}
        self._regions: dict[str, str | None] = {}

    def __call__(
        self, ts: datetime, zone: str | None, region: str | None
    ) -> tuple[datetime, list[EventError] | None, str | None]:
        """(`ts` in UTC, the problems or None, the zone to compute with)."""
        if ts.tzinfo is not UTC:
            ts = ts.astimezone(UTC)
        problems = None
        if ts < self._oldest:
            days = self._retention_days
            problems = [_error(["ts"], f"older than the retention period ({days} d)")]
        elif ts > self._newest:
            problems = [_error(["ts"], "in the future")]
        zone_req = None
        if zone:
            mix = self._mixes.get(zone, _MISSING)
            if mix is _MISSING:
                mix = self._mixes[zone] = self._catalogue.mix(zone)
            if mix is None:
                problems = [*(problems or []), _error(["zone"], f"unknown zone {zone!r}")]
            else:
                zone_req = mix.zone
        elif region:
            zone_req = self._regions.get(region, _MISSING)
            if zone_req is _MISSING:
                zone_req = self._regions[region] = zone_for_region(region)
        return ts, problems, zone_req


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
    checks = _EventChecks(
        now=now, retention_days=retention_days, future_skew_s=future_skew_s, catalogue=catalogue
    )
    rows: list[dict[str, Any]] = []
    for index, event in zip(good, parsed, strict=True):
        zone, region = event.get("zone"), event.get("region")
        ts, problems, zone_req = checks(event["ts"], zone, region)
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


# --- the fast path ----------------------------------------------------------------------------
#
# msgspec decodes a clean batch straight into the structs below, whose constraints are those of
# `IngestEvent`; the rows are then built exactly as `validate_events` builds them. msgspec and
# pydantic (on orjson's output) disagree on a few inputs; each is either rejected by the structs
# (and so goes the slow way) or detected below:
#
# - pydantic strips the whitespace around every string field (`str_strip_whitespace`; not
#   metadata keys) and checks the lengths afterwards; msgspec does not strip. Any
#   string starting or ending with a character `str.isspace` knows goes the slow way (that set
#   holds every character pydantic strips, plus U+001C..U+001F, which it keeps).
# - `ts`: msgspec reads RFC 3339 only (pydantic also takes unix numbers, `_` or `,`, ...: those
#   fail here and go the slow way), and where both read a string they agree, except that
#   msgspec rounds a fraction of more than 6 digits and pydantic truncates it: such batches go
#   the slow way. `ts` is decoded as a string so that this can be checked.
# - `metadata` is kept as raw JSON and parsed by orjson, like the slow path, so huge integers,
#   duplicate keys and floats come out the same; deep nesting (whose limit in orjson counts from
#   the document's root), a metadata object too large or not an object goes the slow way.
#   Its keys are kept as sent on both paths (none are trimmed).
# - `tokens_*` take JSON integers only (no `5.0`, no `true`), `latency_ms` JSON numbers only
#   (pydantic also takes `true` and numeric strings: those go the slow way).
# - anything else msgspec refuses (invalid JSON, unknown or missing fields, bad types, values out
#   of range, naive `ts`, ...) and any exception while building the rows go the slow way, which
#   produces the error details (or raises) as before.


class _Event(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    id: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    ts: str
    provider: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    model: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    tokens_in: Annotated[int, msgspec.Meta(ge=0, le=MAX_TOKENS)]
    tokens_out: Annotated[int, msgspec.Meta(ge=0, le=MAX_TOKENS)]
    zone: Annotated[str, msgspec.Meta(max_length=8)] | None = None
    region: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    latency_ms: Annotated[float, msgspec.Meta(gt=0, le=86_400_000)] | None = None
    user: Annotated[str, msgspec.Meta(max_length=256)] | None = None
    team: Annotated[str, msgspec.Meta(max_length=128)] | None = None
    app: Annotated[str, msgspec.Meta(max_length=128)] | None = None
    # Raw JSON (b"" when absent, b"null" when null): `msgspec.Raw | None` is not a union.
    metadata: msgspec.Raw = msgspec.Raw()


class _Envelope(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    events: list[_Event]


_DECODER = msgspec.json.Decoder(_Envelope)
_STAMPS = list[Annotated[datetime, msgspec.Meta(tz=True)]]
_LONG_FRACTION = re.compile(r"\.[0-9]{7}")
# orjson refuses documents nested deeper than 1024 levels, counted from the root, and the
# metadata object sits 3 levels down: parsed on its own, it could pass where the whole body
# does not. (Today `orjson.dumps` gives up on anything nested 255 deep first, in `_small` as
# here, but that is not something to rely on.) Far fewer brackets and nesting cannot matter.
_MAX_METADATA_BRACKETS = 512


class _Unclean(Exception):
    """The fast path cannot vouch for this batch: take the slow path."""


def _metadata(raw: msgspec.Raw) -> dict[str, Any] | None:
    text = bytes(raw)  # (a `Raw` is not a `bytes` at run time, whatever its stub says)
    if text.count(b"[") + text.count(b"{") > _MAX_METADATA_BRACKETS:
        raise _Unclean
    value = orjson.loads(text)
    if value is None:
        return None
    if type(value) is not dict:
        raise _Unclean
    if len(orjson.dumps(value)) > MAX_METADATA_BYTES:
        raise _Unclean
    return value


def _may_hold_whitespace(raw: bytes) -> bool:
    """False when no string of the document can hold a whitespace character: no space byte,
    no escape and nothing but ASCII (JSON strings cannot hold raw control characters)."""
    return not raw.isascii() or b" " in raw or b"\\" in raw


def _edge_whitespace(events: list[_Event]) -> bool:
    """Whether a string of `events` starts or ends with whitespace (`str.isspace`)."""
    for event in events:
        id_, provider, model = event.id, event.provider, event.model
        if id_.strip() != id_ or provider.strip() != provider or model.strip() != model:
            return True
        zone, region, user, team, app = event.zone, event.region, event.user, event.team, event.app
        if (
            (zone and zone.strip() != zone)
            or (region and region.strip() != region)
            or (user and user.strip() != user)
            or (team and team.strip() != team)
            or (app and app.strip() != app)
        ):
            return True
    return False


def _fast_path(
    raw: bytes,
    *,
    max_events: int,
    org_id: int,
    now: datetime,
    retention_days: int,
    future_skew_s: int,
    catalogue: ModelCatalogue,
) -> tuple[list[dict[str, Any]], list[RejectedEvent]]:
    if not isinstance(raw, bytes):
        raise _Unclean
    events = _DECODER.decode(raw).events
    if len(events) > max_events:
        raise _Unclean
    stamps = [event.ts for event in events]
    if _LONG_FRACTION.search("\n".join(stamps)):
        raise _Unclean
    times: list[datetime] = msgspec.convert(stamps, _STAMPS)
    if _may_hold_whitespace(raw) and _edge_whitespace(events):
        raise _Unclean
    checks = _EventChecks(
        now=now, retention_days=retention_days, future_skew_s=future_skew_s, catalogue=catalogue
    )
    # Copying a template and filling it in is faster than a 19-key literal; same key order.
    template: dict[str, Any] = {
        "org_id": org_id,
        "event_id": None,
        "ts": None,
        "day": None,
        "received_at": now,
        "provider": None,
        "model": None,
        "tokens_in": None,
        "tokens_out": None,
        "latency_ms": None,
        "zone": None,
        "region": None,
        "user_ref": "",
        "team": "",
        "app": "",
        "meta": None,
        "enriched_at": now,
        "zone_req": None,
        "_index": None,
    }
    rows: list[dict[str, Any]] = []
    rejected: list[RejectedEvent] = []
    for index, (event, stamp) in enumerate(zip(events, times, strict=True)):
        zone, region = event.zone, event.region
        ts, problems, zone_req = checks(stamp, zone, region)
        meta = _metadata(event.metadata) if event.metadata else None
        if problems:
            # The slow path reports the id as sent: it is this one (no whitespace, 1-128 long).
            rejected.append(RejectedEvent(index=index, id=event.id, errors=problems))
            continue
        row = template.copy()
        row["event_id"] = event.id
        row["ts"] = ts
        row["day"] = ts.date()
        row["provider"] = event.provider
        row["model"] = event.model
        row["tokens_in"] = event.tokens_in
        row["tokens_out"] = event.tokens_out
        row["latency_ms"] = event.latency_ms
        row["zone"] = zone
        row["region"] = region
        if event.user:
            row["user_ref"] = event.user
        if event.team:
            row["team"] = event.team
        if event.app:
            row["app"] = event.app
        row["meta"] = meta
        row["zone_req"] = zone_req
        row["_index"] = index
        rows.append(row)
    return rows, rejected


def parse_and_validate(
    raw: bytes,
    *,
    max_events: int,
    org_id: int,
    now: datetime,
    retention_days: int,
    future_skew_s: int,
    catalogue: ModelCatalogue,
) -> tuple[list[dict[str, Any]], list[RejectedEvent]]:
    """`validate_events(parse_envelope(raw, ...), ...)`: the same rows, rejections and
    exceptions for every input, decoded by msgspec when the batch is clean (several times
    faster), by the slow path otherwise."""
    # Whatever the fast path refuses or trips over, the slow path has the answer (the same
    # rows, the per-field errors, or the exception the caller expects).
    with contextlib.suppress(Exception):
        return _fast_path(
            raw,
            max_events=max_events,
            org_id=org_id,
            now=now,
            retention_days=retention_days,
            future_skew_s=future_skew_s,
            catalogue=catalogue,
        )
    return validate_events(
        parse_envelope(raw, max_events=max_events),
        org_id=org_id,
        now=now,
        retention_days=retention_days,
        future_skew_s=future_skew_s,
        catalogue=catalogue,
    )
