"""The pure parts: Retry-After parsing, backoff bounds, signatures."""

from __future__ import annotations

import hashlib
import hmac
import time
from email.utils import formatdate

from ecotrack_sdk import RetryPolicy, sign
from ecotrack_sdk._core import classify, parse_retry_after


def test_parse_retry_after() -> None:
    now = time.time()
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    when = parse_retry_after(formatdate(now + 30, usegmt=True), now=now)
    assert when is not None and 29 <= when <= 30


def test_backoff_is_exponential_jittered_and_capped() -> None:
    ceiling = RetryPolicy(base_s=0.5, cap_s=30.0, rng=lambda _lo, hi: hi)
    assert [ceiling.delay(n) for n in range(8)] == [0.5, 1, 2, 4, 8, 16, 30, 30]
    floor = RetryPolicy(base_s=0.5, rng=lambda lo, _hi: lo)
    assert floor.delay(3) == 0.0
    assert floor.delay(3, retry_after=12) == 12  # Retry-After is a floor
    assert floor.delay(0, retry_after=10_000) == 300  # ... capped
    real = RetryPolicy(base_s=1.0, cap_s=4.0)
    assert all(0 <= real.delay(5) <= 4 for _ in range(200))


def test_signature_is_hmac_of_timestamp_dot_body() -> None:
    headers = sign("s3cret", b'{"events":[]}', 1_700_000_000)
    digest = hmac.new(b"s3cret", b'1700000000.{"events":[]}', hashlib.sha256).hexdigest()
    assert headers == {"X-EcoTrack-Timestamp": "1700000000", "X-EcoTrack-Signature": f"v1={digest}"}


def test_classify() -> None:
    assert classify(200, {}, '{"accepted": 1}').answer == {"accepted": 1}
    retry = classify(429, {"retry-after": "3"}, "")
    assert (retry.kind, retry.wait) == ("retry", 3.0)
    assert classify(503, {}, "").kind == "retry"
    assert classify(413, {}, "").kind == "split"
    assert classify(422, {}, "bad").kind == "fail"
