"""`parse_and_validate` (the msgspec fast path) against the slow path it replaces.

For every body, `parse_and_validate(raw, ...)` must give exactly what
`validate_events(parse_envelope(raw, ...), ...)` gives: the same rows (same keys, values and
value types), the same rejections, or the same exception. No database involved.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from benchmarks.ingest import gen_events
from hypothesis import HealthCheck, given, settings
from hypothesis import event as note
from hypothesis import strategies as st
from pydantic import ConfigDict, TypeAdapter

from ecotrack.core.errors import PayloadTooLarge
from ecotrack.usage import ingest
from ecotrack.usage.enrich import catalogue_for

# ECOTRACK_FASTPATH_EXAMPLES=20000 for a long run.
MAX_EXAMPLES = int(os.environ.get("ECOTRACK_FASTPATH_EXAMPLES", "250"))
SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

NOW = datetime(2026, 11, 30, 12, 0, 0, 250000, tzinfo=UTC)
RETENTION_DAYS = 400
SKEW_S = 86_400
CATALOGUE = catalogue_for([])
KW: dict[str, Any] = {
    "org_id": 7,
    "now": NOW,
    "retention_days": RETENTION_DAYS,
    "future_skew_s": SKEW_S,
    "catalogue": CATALOGUE,
}
# The slow path as it is at import time (some tests below replace it in the module).
_PARSE_ENVELOPE = ingest.parse_envelope
_VALIDATE_EVENTS = ingest.validate_events


def _exact(value: Any) -> Any:
    """A view of `value` that differs whenever the values, types, key order or offsets do."""
    if isinstance(value, datetime):
        return ("datetime", value, type(value.tzinfo), value.utcoffset(), value.isoformat())
    if isinstance(value, dict):
        return ("dict", [(k, _exact(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [_exact(v) for v in value])
    return (type(value), repr(value))


def _outcome(call: Any) -> tuple[Any, ...]:
    try:
        rows, rejected = call()
    except Exception as exc:  # the exception is part of the result being compared
        return ("raised", type(exc), str(exc))
    return ("ok", _exact(rows), _exact([r.model_dump() for r in rejected]), rows, rejected)


def slow(raw: bytes, max_events: int = 1000) -> tuple[Any, ...]:
    return _outcome(lambda: _VALIDATE_EVENTS(_PARSE_ENVELOPE(raw, max_events=max_events), **KW))


def fast(raw: bytes, max_events: int = 1000) -> tuple[Any, ...]:
    return _outcome(lambda: ingest.parse_and_validate(raw, max_events=max_events, **KW))


def took_fast_path(raw: bytes, max_events: int = 1000) -> bool:
    try:
        ingest._fast_path(raw, max_events=max_events, **KW)
    except Exception:
        return False
    return True


def assert_same(raw: bytes, max_events: int = 1000) -> tuple[Any, ...]:
    expected = slow(raw, max_events)
    got = fast(raw, max_events)
    assert got[:3] == expected[:3], raw[:2000]
    if expected[0] == "ok":
        assert got[3] == expected[3]  # the rows, compared as dicts too
        assert got[4] == expected[4]  # the RejectedEvent models
    return expected


# --- strategies: JSON text built by hand, so that anything can be sent -------------------------

WHITESPACE = [
    " ", "\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f", "\x85", "\xa0",
    "\u1680", "\u2000", "\u2007", "\u200a", "\u2028", "\u2029", "\u202f", "\u205f", "\u3000",
    "\u200b", "\u180e", "\ufeff",
]  # fmt: skip
_chars = st.one_of(
    st.characters(codec="utf-8"),
    st.sampled_from(WHITESPACE),
    st.sampled_from('abcXYZ019-_.@"\\/é€😀\x00'),
)


def _encode(text: str, how: int) -> bytes:
    """A JSON string literal: orjson (raw UTF-8), json.dumps (\\u escapes), every char escaped."""
    if how == 0:
        return orjson.dumps(text)
    if how == 1:
        return json.dumps(text).encode()
    escaped = "".join(f"\\u{ord(c):04x}" if ord(c) < 0x10000 else json.dumps(c)[1:-1] for c in text)
    return f'"{escaped}"'.encode()


@st.composite
def text_value(draw: st.DrawFn, max_len: int, clean: bool) -> bytes:
    """A JSON string for a field of at most `max_len` characters (around the limits too)."""
    core = draw(
        st.one_of(
            st.from_regex(r"[a-z0-9][a-z0-9@.\-]{0,15}", fullmatch=True),
            st.from_regex(r"[A-Za-z0-9é€😀][A-Za-z0-9 é€😀.\-]{0,10}[a-z0-9é😀]", fullmatch=True),
            st.integers(max(max_len - 2, 1), max_len + 2).map(lambda n: "x" * n),
            st.text(_chars, max_size=12),
        )
    )
    if clean:
        core = core.strip() or "x"
        core = core[:max_len]
    elif draw(st.booleans()):
        pad = st.text(st.sampled_from(WHITESPACE), min_size=1, max_size=2)
        core = draw(pad) * draw(st.booleans()) + core + draw(pad) * draw(st.booleans())
    return _encode(core, draw(st.sampled_from([0, 0, 0, 1, 2])))


NOT_STRINGS = [b"null", b"123", b"true", b"[]", b"{}", b"1.5"]


def field_text(max_len: int, clean: bool) -> st.SearchStrategy[bytes]:
    if clean:
        return text_value(max_len, True)
    return st.one_of(text_value(max_len, False), st.sampled_from(NOT_STRINGS))


OFFSETS_CLEAN = ["Z", "z", "+00:00", "-00:00", "+05:30", "-08:00", "+23:59", "-23:59", "+0530"]
OFFSETS_ODD = ["", "+24:00", "+05", "UTC", " Z", "+00:00:00", "Z[UTC]", "+5:30"]
SEPARATORS_CLEAN = ["T", "t", " "]
SEPARATORS_ODD = ["_", "x", "  ", ""]

_naive = NOW.replace(tzinfo=None)
# Moments whose conversion to UTC may leave datetime's range (the slow path raises
# OverflowError): for odd events only.
_extreme_moments = st.sampled_from(
    [datetime(1, 1, 1), datetime(1, 1, 1, 0, 30), datetime(9999, 12, 31, 23, 59, 59, 999999)]
)
_moments = st.one_of(
    st.datetimes(
        min_value=_naive - timedelta(days=RETENTION_DAYS + 20),
        max_value=_naive + timedelta(seconds=SKEW_S * 2),
    ),
    # Around the retention and future limits.
    st.sampled_from(
        [
            _naive - timedelta(days=RETENTION_DAYS) + timedelta(microseconds=d)
            for d in (-1000001, -1, 0, 1, 1000000)
        ]
        + [_naive + timedelta(seconds=SKEW_S, microseconds=d) for d in (-1, 0, 1, 999999)]
    ),
    st.sampled_from([datetime(999, 12, 31, 23, 59, 59), datetime(2016, 12, 31, 23, 59, 59)]),
)


@st.composite
def ts_value(draw: st.DrawFn, clean: bool) -> bytes:
    moment = draw(_moments if clean else st.one_of(_moments, _extreme_moments))
    offset = draw(st.sampled_from(OFFSETS_CLEAN if clean else OFFSETS_CLEAN + OFFSETS_ODD))
    sep = draw(st.sampled_from(SEPARATORS_CLEAN if clean else SEPARATORS_CLEAN + SEPARATORS_ODD))
    digits = draw(st.integers(0, 6 if clean else 12))
    fraction = f"{moment.microsecond:06d}" + "".join(
        draw(st.lists(st.sampled_from("0123456789"), min_size=6, max_size=6))
    )
    frac = "." + fraction[:digits] if digits else ""
    second = f"{moment.second:02d}"
    if not clean:
        frac = draw(st.sampled_from([frac, frac, ",5", ".", ""]))
        second = draw(st.sampled_from([second, second, second, "60", ""]))
    text = (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}{sep}"
        f"{moment.hour:02d}:{moment.minute:02d}" + (f":{second}" if second else "") + frac + offset
    )
    if clean:
        return _encode(text, draw(st.sampled_from([0, 0, 2])))
    unix = int((moment - datetime(1970, 1, 1)).total_seconds())
    return draw(
        st.sampled_from(
            [
                _encode(text, 0),
                _encode(text, 2),
                _encode(" " + text, 0),
                _encode(text + "\n", 0),
                str(unix).encode(),
                f"{unix}.5".encode(),
                str(unix * 1000).encode(),
                _encode(str(unix), 0),
                _encode(text[:10], 0),
                b"null",
                b"true",
                b'"now"',
            ]
        )
    )


TOKENS_ODD = [
    b"-1", b"-0", b"9007199254740992", b"9007199254740993", b"5.0", b"5e0", b"1E2", b"0.0",
    b"true", b"false", b"null", b'"5"', b"18446744073709551615", b"18446744073709551616",
    b"-9223372036854775809", b"1e400", b"1" + b"0" * 400, b"[]", b"{}", b"-", b"05",
]  # fmt: skip
LATENCY_ODD = [
    b"0", b"-0.0", b"-1", b"86400000", b"86400000.0", b"86400000.00000001", b"86400000.0000001",
    b"86400001", b"4.9e-324", b"1e-400", b"1e400", b"true", b'"12.5"', b'" 12 "', b'"1_000"',
    b"NaN", b"Infinity", b"-Infinity", b"[]", b"18446744073709551616",
]  # fmt: skip


def tokens_value(clean: bool) -> st.SearchStrategy[bytes]:
    ints = st.one_of(st.integers(0, 5000), st.integers(0, 2**53)).map(lambda n: str(n).encode())
    return ints if clean else st.one_of(ints, st.sampled_from(TOKENS_ODD))


def latency_value(clean: bool) -> st.SearchStrategy[bytes]:
    good = st.one_of(
        st.floats(min_value=1e-9, max_value=86_400_000).map(lambda f: repr(f).encode()),
        st.integers(1, 86_400_000).map(lambda n: str(n).encode()),
        st.from_regex(r"[1-9][0-9]{0,5}\.[0-9]{1,25}", fullmatch=True).map(str.encode),
        st.from_regex(r"[1-9]\.[0-9]{1,20}[eE][+-]?[0-6]", fullmatch=True).map(str.encode),
    )
    if clean:
        return good
    wild = st.from_regex(
        r"-?(0|[1-9][0-9]{0,9})(\.[0-9]{1,30})?([eE][+-]?[0-9]{1,3})?", fullmatch=True
    ).map(str.encode)
    return st.one_of(good, wild, st.sampled_from(LATENCY_ODD))


ZONES = ["FR", "fr", "FRA", "DEU", "US", "usa", "WOR", "EEE", "XX9", "ZZ", "", "ABCDEFGH"]
ZONES_ODD = [" FR", "FR ", "\x1cFR", "FR\u3000", "ABCDEFGHI", "ABCDEFGH "]
REGIONS = ["us-east-1", "europe-west1", "eastus", "US-EAST-1", "nowhere", "x" * 64, ""]
REGIONS_ODD = [" us-east-1", "us-east-1\n", "x" * 65]


def zone_value(clean: bool) -> st.SearchStrategy[bytes]:
    names = ZONES if clean else ZONES + ZONES_ODD
    out = st.one_of(st.sampled_from(names).map(orjson.dumps), st.just(b"null"))
    return out if clean else st.one_of(out, field_text(8, False))


def region_value(clean: bool) -> st.SearchStrategy[bytes]:
    names = REGIONS if clean else REGIONS + REGIONS_ODD
    out = st.one_of(st.sampled_from(names).map(orjson.dumps), st.just(b"null"))
    return out if clean else st.one_of(out, field_text(64, False))


_json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(_chars, max_size=8),
)
_json_values = st.recursive(
    _json_leaf,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(_chars, max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


def _nested(depth: int) -> bytes:
    return b'{"d":' + b"[" * depth + b"]" * depth + b"}"


METADATA_ODD = [
    b'{"a":1,"a":2}',
    b'{"a":1,"b":2,"a":3}',
    b'{" a":1}',
    b'{"a ":1,"a":2}',
    b'{"\\u0020a":1}',
    b'{"\\u001ca":1}',
    b'{"a\\u00a0":1}',
    b'{"n":18446744073709551616}',
    b'{"n":-9223372036854775809}',
    b'{"n":1e400}',
    b'{"n":1' + b"0" * 400 + b"}",
    b'{"n":-0.0,"m":1e-400,"k":0.1e1}',
    b'{"n":[NaN]}',
    b'{"s":"\\ud800"}',
    b'{"s":"\xff"}',
    b"[1,2]",
    b'"text"',
    b"5",
    b"null",
    b"{}",
    b'{"blob":"' + b"x" * 5000 + b'"}',
    b'{"p":"' + b"y" * (4096 - 8) + b'"}',  # exactly 4096 bytes as JSON
    b'{"p":"' + b"y" * (4096 - 7) + b'"}',  # 4097
    b'{"p":"' + b"\\u00e9" * 2040 + b'"}',  # 2040 characters, 4088 bytes as UTF-8
    b'{"p":"' + b"\\u00e9" * 2045 + b'"}',  # 4098 bytes once dumped
    *[_nested(d) for d in (100, 509, 510, 511, 512, 600, 1019, 1020, 1021, 1022, 1030)],
]


def metadata_value(clean: bool) -> st.SearchStrategy[bytes]:
    objects = st.dictionaries(
        st.text(_chars, max_size=6).map(str.strip) if clean else st.text(_chars, max_size=6),
        _json_values,
        max_size=5,
    ).map(orjson.dumps)
    if clean:
        return st.one_of(objects, st.just(b"null"), st.just(b"{}"))
    return st.one_of(objects, st.sampled_from(METADATA_ODD))


REQUIRED = ("id", "ts", "provider", "model", "tokens_in", "tokens_out")
OPTIONAL = ("zone", "region", "latency_ms", "user", "team", "app", "metadata")


def value_for(name: str, clean: bool) -> st.SearchStrategy[bytes]:
    return {
        "id": field_text(128, clean),
        "ts": ts_value(clean),
        "provider": field_text(64, clean),
        "model": field_text(128, clean),
        "tokens_in": tokens_value(clean),
        "tokens_out": tokens_value(clean),
        "zone": zone_value(clean),
        "region": region_value(clean),
        "latency_ms": latency_value(clean),
        "user": field_text(256, clean),
        "team": field_text(128, clean),
        "app": field_text(128, clean),
        "metadata": metadata_value(clean),
    }[name]


# Values pydantic accepts but the fast path must not take as they are (it must fall back or
# give the same result): a batch with one of these in an otherwise clean event tells whether
# each such case is handled.
@st.composite
def padded_text(draw: st.DrawFn, max_len: int) -> bytes:
    """A string that is valid once pydantic has stripped it (or that it keeps as is)."""
    core = draw(st.from_regex(r"[a-zA-Z0-9é😀][a-zA-Z0-9 é😀.\-]{0,5}", fullmatch=True)).strip()
    core = draw(st.sampled_from([core or "x", "x" * max_len]))
    pad = st.sampled_from(WHITESPACE)
    kind = draw(st.sampled_from(["left", "right", "both", "control"]))
    if kind == "control":  # U+001C..U+001F: str.strip() removes them, pydantic keeps them
        text = draw(st.sampled_from("\x1c\x1d\x1e\x1f")) + core[: max_len - 1]
    else:
        left = draw(pad) if kind in ("left", "both") else ""
        right = draw(pad) if kind in ("right", "both") else ""
        text = left + core + right
    return _encode(text, draw(st.sampled_from([0, 1, 2])))


@st.composite
def tricky_ts(draw: st.DrawFn) -> bytes:
    moment = draw(_moments)
    day = f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
    clock = f"{moment.hour:02d}:{moment.minute:02d}"
    seconds = f":{moment.second:02d}"
    offset = draw(st.sampled_from(OFFSETS_CLEAN))
    digits = "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=7, max_size=12)))
    unix = (moment.replace(tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()
    return draw(
        st.sampled_from(
            [
                _encode(f"{day}T{clock}{seconds}.{digits}{offset}", 0),  # > 6 fraction digits
                _encode(f"{day}t{clock}{seconds}.{digits}{offset.lower()}", 2),
                _encode(f"{day} {clock}{seconds}.{digits[:7]}{offset}", 0),
                _encode(f"{day}T{clock}{seconds},{digits[:3]}{offset}", 0),
                _encode(f"{day}_{clock}{seconds}{offset}", 0),
                _encode(f"{day}T{clock}{offset}", 0),  # no seconds
                str(int(unix)).encode(),  # unix seconds
                repr(unix).encode(),
                str(int(unix * 1000)).encode(),  # unix milliseconds
                _encode(str(int(unix)), 0),
            ]
        )
    )


TRICKY_LATENCY = [b'"12.5"', b'" 12 "', b"true", b'"1_000"', b'"1e3"', b'"7"']
TRICKY_METADATA = [
    b'{" a":1}',
    b'{"a ":1,"b":[2]}',
    b'{"a":1," a":2}',
    b'{"\\u001ca":1}',
    b'{"\\u3000k":"v"}',
    b'{"k\\n":{" inner ":1}}',
    _nested(600),
    _nested(1010),
]


def tricky_for(name: str) -> st.SearchStrategy[bytes]:
    limits = {"id": 128, "provider": 64, "model": 128, "user": 256, "team": 128, "app": 128}
    if name in limits:
        return padded_text(limits[name])
    return {
        "ts": tricky_ts(),
        "tokens_in": st.just(b"-0"),
        "tokens_out": st.just(b"-0"),
        "zone": st.sampled_from([" FR", "DEU\t", "\u3000fr", "WOR "]).map(orjson.dumps),
        "region": st.sampled_from([" us-east-1", "eastus\n", "\x1feastus"]).map(orjson.dumps),
        "latency_ms": st.sampled_from(TRICKY_LATENCY),
        "metadata": st.sampled_from(TRICKY_METADATA),
    }[name]


@st.composite
def event_json(
    draw: st.DrawFn, colon: bytes, comma: bytes, mode: str | None = None
) -> tuple[bytes, bool]:
    """One event, and whether it is clean (the fast path must take a batch of clean events)
    or may have some oddity."""
    mode = mode or draw(st.sampled_from(["clean"] * 5 + ["tricky"] * 3 + ["odd"] * 2))
    clean = mode == "clean"
    names = list(REQUIRED) + [n for n in OPTIONAL if draw(st.booleans())]
    if mode == "tricky":  # clean but for one value pydantic accepts
        name = draw(st.sampled_from(list(REQUIRED + OPTIONAL)))
        names = names if name in names else [*names, name]
        pairs = [(n, draw(tricky_for(n) if n == name else value_for(n, True))) for n in names]
        pairs = draw(st.permutations(pairs))
        return b"{" + comma.join(orjson.dumps(k) + colon + v for k, v in pairs) + b"}", False
    # Odd events: one or two fields get wild values, and maybe a field missing, repeated or
    # unknown, or the event not an object at all.
    wild = set() if clean else set(draw(st.lists(st.sampled_from(names), max_size=2)))
    pairs = [(n, draw(value_for(n, n not in wild))) for n in names]
    if not clean:
        change = draw(st.sampled_from(["none", "drop", "repeat", "unknown", "not-object"]))
        if change == "drop":
            pairs.pop(draw(st.integers(0, len(pairs) - 1)))
        elif change == "repeat":
            name = draw(st.sampled_from(names))
            pairs.insert(draw(st.integers(0, len(pairs))), (name, draw(value_for(name, False))))
        elif change == "unknown":
            pairs.append((draw(st.sampled_from(["extra", "ID", "org_id", "user_ref"])), b"1"))
        elif change == "not-object":
            odd = draw(st.sampled_from([b'"just a string"', b"5", b"null", b"[]", b"true"]))
            return odd, False
    pairs = draw(st.permutations(pairs))
    return b"{" + comma.join(orjson.dumps(k) + colon + v for k, v in pairs) + b"}", clean


@st.composite
def body(draw: st.DrawFn) -> tuple[bytes, int, bool]:
    """A whole request body (as bytes), the `max_events` it is checked against, and whether
    the fast path must take it."""
    colon, comma = draw(st.sampled_from([(b":", b","), (b": ", b", "), (b" : ", b",\n  ")]))
    drawn = draw(st.lists(event_json(colon, comma), max_size=6))
    events = [e for e, _ in drawn]
    max_events = draw(st.sampled_from([1000, 1000, 1000, len(events), max(len(events) - 1, 0)]))
    doc = b"{" + b'"events"' + colon + b"[" + comma.join(events) + b"]}"
    shape = draw(
        st.sampled_from(
            ["plain"] * 12
            + ["extra-key", "dup-events", "dup-events-after", "events-object", "top-list"]
            + ["truncated", "bad-byte", "bom", "trailing", "whitespace", "nul"]
        )
    )
    if shape == "extra-key":
        doc = doc[:-1] + comma + b'"extra"' + colon + b"1}"
    elif shape == "dup-events":
        doc = b'{"events":[{"id":"a"}],' + doc[1:]
    elif shape == "dup-events-after":
        doc = doc[:-1] + comma + b'"events"' + colon + b"[]}"
    elif shape == "events-object":
        doc = b'{"events":{"id":1}}'
    elif shape == "top-list":
        doc = b"[" + doc + b"]"
    elif shape == "truncated":
        doc = doc[: draw(st.integers(0, max(len(doc) - 1, 0)))]
    elif shape == "bad-byte":
        at = draw(st.integers(0, len(doc)))
        bad = draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x01"]))
        doc = doc[:at] + bad + doc[at:]
    elif shape == "bom":
        doc = b"\xef\xbb\xbf" + doc
    elif shape == "trailing":
        doc = doc + b" x"
    elif shape == "whitespace":
        doc = b" \n\t" + doc + b"\r\n "
    elif shape == "nul":
        doc = doc + b"\x00"
    clean = all(c for _, c in drawn) and max_events >= len(events)
    return doc, max_events, clean and shape in ("plain", "whitespace")


@st.composite
def tricky_body(draw: st.DrawFn) -> bytes:
    """Clean events and one with a value pydantic accepts but the fast path must not take."""
    colon, comma = draw(st.sampled_from([(b":", b","), (b": ", b", ")]))
    events = [e for e, _ in draw(st.lists(event_json(colon, comma, "clean"), max_size=3))]
    tricky, _ = draw(event_json(colon, comma, "tricky"))
    events.insert(draw(st.integers(0, len(events))), tricky)
    return b'{"events"' + colon + b"[" + comma.join(events) + b"]}"


# --- the differential tests --------------------------------------------------------------------


@SETTINGS
@given(case=body())
def test_fast_path_equals_slow_path_for_any_body(case: tuple[bytes, int, bool]) -> None:
    raw, max_events, clean = case
    expected = assert_same(raw, max_events)
    fast_path = took_fast_path(raw, max_events)
    note(f"{'clean' if clean else 'odd'} batch, {'fast' if fast_path else 'slow'} path")
    note(f"outcome: {expected[0]}")
    if clean:  # nothing in it the fast path should refuse
        assert fast_path, raw[:2000]


@SETTINGS
@given(raw=tricky_body())
def test_fast_path_equals_slow_path_for_values_only_pydantic_takes_as_sent(raw: bytes) -> None:
    expected = assert_same(raw)
    note(f"outcome: {expected[0]}, {'fast' if took_fast_path(raw) else 'slow'} path")


# Hand-written bodies: each with the path it must take (`fast`: no fallback), all checked
# against the slow path. They document every reason to fall back.
def _b(*events: str, extra: str = "") -> bytes:
    return ('{"events":[' + ",".join(events) + "]" + extra + "}").encode()


_E = '"id":"e1","ts":"2026-11-30T10:00:00Z","provider":"openai","model":"gpt-4o-mini"'
_T = '"tokens_in":1,"tokens_out":2'


def _ev(*fields: str, base: str = _E) -> str:
    return "{" + ",".join([base, *fields]) + "}"


CASES: list[tuple[str, bytes, str]] = [
    ("clean", _b(_ev(_T)), "fast"),
    ("clean, spaced json", json.dumps(orjson.loads(_b(_ev(_T))), indent=1).encode(), "fast"),
    ("empty batch", b'{"events":[]}', "fast"),
    ("every field", _b(_ev(_T, '"zone":"fr","region":"us-east-1","latency_ms":12,"user":"ana",'
                       '"team":"t","app":"a","metadata":{"k":[1,2.5,null,"x"]}')), "fast"),
    ("nulls", _b(_ev(_T, '"zone":null,"region":null,"latency_ms":null,"user":null,"team":null,'
                 '"app":null,"metadata":null')), "fast"),
    ("region only", _b(_ev(_T, '"region":"eu-west-3"')), "fast"),
    ("unknown zone is a rejection", _b(_ev(_T, '"zone":"XX9"')), "fast"),
    ("too old / future are rejections",
     _b(_ev(_T), _ev(_T, base=_E.replace("2026-11-30T10", "2025-01-01T10")),
        _ev(_T, base=_E.replace("2026-11-30T10", "2026-12-02T10"))), "fast"),
    ("offset +05:30", _b(_ev(_T, base=_E.replace("Z", "+05:30"))), "fast"),
    ("lower-case t and z", _b(_ev(_T, base=_E.replace("T", "t").replace("Z", "z"))), "fast"),
    ("6-digit fraction", _b(_ev(_T, base=_E.replace("00Z", "00.123456Z"))), "fast"),
    ("inner spaces, unicode, escapes",
     _b(_ev(_T, '"user":"Ana Mar\\u00eda \\"A\\"","team":"équipe 😀"')), "fast"),
    ("duplicate key, valid both times", _b(_ev(_T, '"tokens_in":3')), "fast"),
    ("id of 128 emoji (lengths in code points)",
     _b(_ev(_T, base=_E.replace('"e1"', '"' + "😀" * 128 + '"'))), "fast"),
    ("metadata: huge int (orjson makes it a float)",
     _b(_ev(_T, '"metadata":{"n":18446744073709551616}')), "fast"),
    ("metadata: duplicate keys", _b(_ev(_T, '"metadata":{"a":1,"a":2}')), "fast"),
    # Fallbacks:
    ("7-digit fraction (msgspec rounds, pydantic truncates)",
     _b(_ev(_T, base=_E.replace("00Z", "00.9999999Z"))), "slow"),
    ("ts as unix seconds", _b(_ev(_T, base=_E.replace('"2026-11-30T10:00:00Z"', "1796032800"))),
     "slow"),
    ("ts with _ separator", _b(_ev(_T, base=_E.replace("T10", "_10"))), "slow"),
    ("ts without seconds", _b(_ev(_T, base=_E.replace(":00Z", "Z"))), "slow"),
    ("naive ts", _b(_ev(_T, base=_E.replace("Z", ""))), "slow"),
    ("leap second", _b(_ev(_T, base=_E.replace(":00Z", ":60Z"))), "slow"),
    ("ts out of datetime range once in UTC",
     _b(_ev(_T, base=_E.replace("2026-11-30T10:00:00Z", "0001-01-01T00:00:00+01:00"))), "slow"),
    ("id with a leading space", _b(_ev(_T, base=_E.replace('"e1"', '" e1"'))), "slow"),
    ("id of 129 chars, 128 once stripped",
     _b(_ev(_T, base=_E.replace('"e1"', '"' + "x" * 128 + ' "'))), "slow"),
    ("id of 129 emoji", _b(_ev(_T, base=_E.replace('"e1"', '"' + "😀" * 129 + '"'))), "slow"),
    ("model ending in U+3000", _b(_ev(_T, base=_E.replace('mini"', 'mini\\u3000"'))), "slow"),
    ("user starting with U+001C (pydantic keeps it)", _b(_ev(_T, '"user":"\\u001cana"')), "slow"),
    ("zone with a trailing space", _b(_ev(_T, '"zone":"FR "')), "slow"),
    ("metadata key with whitespace", _b(_ev(_T, '"metadata":{" k":1}')), "fast"),
    ("metadata too large", _b(_ev(_T, '"metadata":{"b":"' + "x" * 5000 + '"}')), "slow"),
    ("metadata not an object", _b(_ev(_T, '"metadata":[1]')), "slow"),
    ("metadata 1e400 (orjson refuses the body)", _b(_ev(_T, '"metadata":{"n":1e400}')), "slow"),
    ("metadata nested 253 deep", _b(_ev(_T, '"metadata":' + _nested(253).decode())), "fast"),
    ("metadata nested 254 deep (orjson.dumps in _small raises TypeError, both paths)",
     _b(_ev(_T, '"metadata":' + _nested(254).decode())), "slow"),
    ("metadata nested 1022 deep (orjson's limit counts from the root)",
     _b(_ev(_T, '"metadata":' + _nested(1022).decode())), "slow"),
    ("tokens 5.0", _b(_ev('"tokens_in":5.0,"tokens_out":1')), "slow"),
    ("tokens true", _b(_ev('"tokens_in":true,"tokens_out":1')), "slow"),
    ("tokens 2**53+1", _b(_ev('"tokens_in":9007199254740993,"tokens_out":1')), "slow"),
    ("latency as a string", _b(_ev(_T, '"latency_ms":"12.5"')), "slow"),
    ("latency true", _b(_ev(_T, '"latency_ms":true')), "slow"),
    ("latency 0", _b(_ev(_T, '"latency_ms":0')), "slow"),
    ("duplicate key, invalid first", _b(_ev('"tokens_in":-1', _T)), "slow"),
    ("duplicate id with whitespace last", _b(_ev(_T, '"id":" e2"')), "slow"),
    ("unknown event field", _b(_ev(_T, '"extra":1')), "slow"),
    ("missing field", _b(_ev('"tokens_in":1')), "slow"),
    ("event not an object", _b(_ev(_T), '"x"'), "slow"),
    ("unknown envelope field", _b(_ev(_T), extra=',"x":1'), "slow"),
    ("too many events", _b(*[_ev(_T)] * 3), "slow"),  # max_events=2 below
    ("not json", b"{not json", "slow"),
    ("NaN", _b(_ev(_T, '"latency_ms":NaN')), "slow"),
    ("non-UTF-8", _b(_ev(_T, '"user":"\xff"')).replace(b"\xc3\xbf", b"\xff"), "slow"),
    ("BOM", b"\xef\xbb\xbf" + _b(_ev(_T)), "slow"),
    ("top-level list", b"[" + _b(_ev(_T)) + b"]", "slow"),
]  # fmt: skip


MAX_EVENTS = {"too many events": 2}


@pytest.mark.parametrize(("name", "raw", "path"), CASES, ids=[c[0] for c in CASES])
def test_hand_written_bodies(name: str, raw: bytes, path: str) -> None:
    max_events = MAX_EVENTS.get(name, 1000)
    assert_same(raw, max_events)
    assert took_fast_path(raw, max_events) == (path == "fast")


# --- the fast path is really used, and really falls back ---------------------------------------


def _clean_batch(n: int = 1000) -> bytes:
    now = NOW - timedelta(hours=1)
    return orjson.dumps({"events": gen_events(0, n, "r", now)})


def test_a_clean_batch_of_1000_equals_the_slow_path() -> None:
    raw = _clean_batch()
    expected = assert_same(raw)
    assert expected[0] == "ok"
    assert len(expected[3]) == 1000
    assert expected[4] == []
    assert took_fast_path(raw)


def test_a_clean_batch_never_touches_the_slow_path(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = _clean_batch()

    def boom(*_: Any, **__: Any) -> Any:
        raise AssertionError("the slow path ran")

    monkeypatch.setattr(ingest, "validate_events", boom)
    monkeypatch.setattr(ingest, "parse_envelope", boom)
    rows, rejected = ingest.parse_and_validate(raw, max_events=1000, **KW)
    assert len(rows) == 1000
    assert rejected == []
    assert [r["_index"] for r in rows] == list(range(1000))
    assert rows[0]["event_id"] == "r-0"
    assert rows[0]["ts"].tzinfo is UTC


def test_a_dirty_batch_falls_back_with_the_error_details(monkeypatch: pytest.MonkeyPatch) -> None:
    good = _ev(_T)
    raw = _b(
        good,
        _ev('"tokens_in":1,"tokens_out":-1', base=_E.replace("e1", "e2")),
        _ev(_T, base=_E.replace("e1", "e3").replace("Z", "")),
        _ev(_T, '"zone":"XX9"', base=_E.replace("e1", "e4")),
    )
    calls: list[int] = []

    def spy(items: list[Any], **kw: Any) -> Any:
        calls.append(len(items))
        return _VALIDATE_EVENTS(items, **kw)

    monkeypatch.setattr(ingest, "validate_events", spy)
    rows, rejected = ingest.parse_and_validate(raw, max_events=1000, **KW)
    assert calls == [4]
    assert [r["event_id"] for r in rows] == ["e1"]
    got = {r.index: (r.id, [e.model_dump() for e in r.errors]) for r in rejected}
    assert got == {
        1: (
            "e2",
            [
                {
                    "loc": ["tokens_out"],
                    "msg": "Input should be greater than or equal to 0",
                    "type": "greater_than_equal",
                }
            ],
        ),
        2: (
            "e3",
            [
                {
                    "loc": ["ts"],
                    "msg": "Value error, ts needs a UTC offset (RFC 3339), "
                    "e.g. 2026-11-30T12:00:00Z",
                    "type": "value_error",
                }
            ],
        ),
        3: ("e4", [{"loc": ["zone"], "msg": "unknown zone 'XX9'", "type": "value_error"}]),
    }


def test_envelope_errors_are_raised_as_before() -> None:
    with pytest.raises(PayloadTooLarge, match="at most 2 events, got 3"):
        ingest.parse_and_validate(_b(*[_ev(_T)] * 3), max_events=2, **KW)
    with pytest.raises(ingest.InvalidEnvelope, match="Unknown envelope field"):
        ingest.parse_and_validate(_b(_ev(_T), extra=',"x":1'), max_events=10, **KW)
    with pytest.raises(ingest.InvalidEnvelope, match="not JSON"):
        ingest.parse_and_validate(b"{", max_events=10, **KW)


def test_every_character_pydantic_strips_is_one_str_isspace_knows() -> None:
    """The fast path falls back when `str.strip()` would change a string: that is only right
    if pydantic strips no character that `str.isspace()` does not know."""
    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    strip = TypeAdapter(list[str], config=ConfigDict(str_strip_whitespace=True))
    stripped = strip.validate_python([c + "x" + c for c in chars])
    pydantic_strips = {c for c, s in zip(chars, stripped, strict=True) if s != c + "x" + c}
    assert pydantic_strips
    assert all(c.isspace() for c in pydantic_strips)
