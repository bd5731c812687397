"""`EcoTrack` (sync) against a local ingest server: batching by size and time, gzip, retries with
backoff honouring Retry-After, stable ids, duplicates, signing, splitting on 413, flush on exit."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conftest import FAST_RETRY, KEY, SIGNED_KEY
from ecotrack_sdk import EcoTrack, EcoTrackError, RetryPolicy, sign
from sdk_fakes import FakeIngest, Scripted


def _client(ingest: FakeIngest, **kwargs: object) -> EcoTrack:
    options: dict[str, object] = {"flush_interval": 60.0, "retry": FAST_RETRY}
    options.update(kwargs)
    return EcoTrack(KEY, ingest.url, **options)  # type: ignore[arg-type]


def test_batches_by_size_gzip_and_body_shape(ingest: FakeIngest) -> None:
    et = _client(ingest, batch_size=10)
    ids = [
        et.track("openai", "gpt-4o", 100 + i, 10, latency_ms=12.5, user="ann") for i in range(25)
    ]
    ingest.wait_for_requests(2)
    time.sleep(0.1)
    assert [len(r.events) for r in ingest.requests] == [10, 10]
    assert et.pending == 5
    et.flush()
    assert [len(r.events) for r in ingest.requests] == [10, 10, 5]
    first = ingest.requests[0]
    assert first.headers["content-encoding"] == "gzip"
    assert first.headers["authorization"] == f"Bearer {KEY}"
    body = json.loads(gzip.decompress(first.raw))
    assert body["events"][0] == {
        "id": ids[0],
        "ts": body["events"][0]["ts"],
        "provider": "openai",
        "model": "gpt-4o",
        "tokens_in": 100,
        "tokens_out": 10,
        "latency_ms": 12.5,
        "user": "ann",
    }
    assert body["events"][0]["ts"].endswith("Z")
    assert ingest.stored_ids == sorted(ids)
    assert (et.stats.accepted, et.stats.sent, et.stats.duplicates, et.stats.failed) == (
        25,
        25,
        0,
        0,
    )
    et.close()


def test_batches_by_time(ingest: FakeIngest) -> None:
    et = _client(ingest, batch_size=100, flush_interval=0.2)
    et.track("anthropic", "claude-3-5-haiku", 1, 2)
    et.track("anthropic", "claude-3-5-haiku", 3, 4)
    ingest.wait_for_requests(1, timeout=3)
    assert [len(r.events) for r in ingest.requests] == [2]
    et.close()


def test_plain_json_without_gzip(ingest: FakeIngest) -> None:
    et = _client(ingest, gzip=False)
    et.track("openai", "gpt-4o", 1, 1, ts=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), team="ml")
    et.flush()
    (request,) = ingest.requests
    assert "content-encoding" not in request.headers
    event = json.loads(request.raw)["events"][0]
    assert (event["ts"], event["team"]) == ("2026-01-02T03:04:05.000Z", "ml")
    et.close()


def test_retries_keep_the_same_ids_and_honour_retry_after(ingest: FakeIngest) -> None:
    ingest.script = [
        Scripted(503),
        Scripted(drop=True),
        Scripted(429, {"Retry-After": "1"}),
        Scripted(502),
    ]
    et = _client(ingest)
    ids = [et.track("openai", "gpt-4o", 5, 5) for _ in range(3)]
    et.flush()
    assert [r.status for r in ingest.requests] == [503, 0, 429, 502, 200]
    # Every attempt carried the same events (same ids): the retry is idempotent.
    assert {tuple(e["id"] for e in r.events) for r in ingest.requests} == {tuple(ids)}
    after_429 = ingest.requests[3].at - ingest.requests[2].at
    assert after_429 >= 0.95  # Retry-After: 1 was honoured (backoff alone is ≤ 0.05 s)
    assert ingest.stored_ids == sorted(ids)
    assert (et.stats.retries, et.stats.accepted, et.stats.failed) == (4, 3, 0)
    et.close()


def test_gives_up_after_max_retries_and_reports(ingest: FakeIngest) -> None:
    ingest.script = [Scripted(500)] * 5
    failures: list[tuple[str, int]] = []
    et = _client(ingest, on_error=lambda exc, n: failures.append((str(exc), n)))
    et.track("openai", "gpt-4o", 1, 1)
    et.flush()
    assert len(ingest.requests) == 5  # 1 + max_retries (4)
    assert failures == [("gave up after retries: HTTP 500", 1)]
    assert (et.stats.failed, et.stats.sent) == (1, 0)
    assert ingest.stored == {}
    et.close()


def test_client_errors_are_not_retried(ingest: FakeIngest) -> None:
    failures: list[int] = []
    et = EcoTrack(
        "eco_wrong", ingest.url, retry=FAST_RETRY, on_error=lambda _e, n: failures.append(n)
    )
    et.track("openai", "gpt-4o", 1, 1)
    et.flush()
    assert [r.status for r in ingest.requests] == [401]
    assert failures == [1]
    assert ingest.stored == {}
    et.close()


def test_same_event_id_twice_is_a_duplicate(ingest: FakeIngest) -> None:
    et = _client(ingest)
    et.track("openai", "gpt-4o", 1, 1, id="evt-1")
    et.flush()
    et.track("openai", "gpt-4o", 1, 1, id="evt-1")
    et.flush()
    assert ingest.stored_ids == ["evt-1"]
    assert (et.stats.accepted, et.stats.duplicates, et.stats.sent) == (1, 1, 2)
    et.close()


def test_rejected_events_are_reported(ingest: FakeIngest) -> None:
    et = _client(ingest)
    et.track("openai", "gpt-4o", 1, 1, id="good")
    with et._lock:  # an event the server refuses (the SDK itself never builds one)
        et._queue.append(b'{"id":"bad"}')
    et.flush()
    assert ingest.stored_ids == ["good"]
    assert [(r.index, r.id) for r in et.stats.rejected] == [(1, "bad")]
    assert (et.stats.sent, et.stats.accepted) == (1, 1)
    et.close()


def test_signed_key_signs_every_attempt(ingest: FakeIngest) -> None:
    ingest.script = [Scripted(503)]
    et = EcoTrack(SIGNED_KEY, ingest.url, signing_secret=SIGNED_KEY, retry=FAST_RETRY)
    et.track("openai", "gpt-4o", 1, 1)
    et.flush()
    assert [r.status for r in ingest.requests] == [503, 200]
    assert len(ingest.stored) == 1
    good = ingest.requests[1]
    stamp = good.headers["x-ecotrack-timestamp"]
    assert (
        good.headers["x-ecotrack-signature"]
        == sign(SIGNED_KEY, good.raw, int(stamp))["X-EcoTrack-Signature"]
    )
    et.close()


def test_wrong_signing_secret_is_refused(ingest: FakeIngest) -> None:
    et = EcoTrack(SIGNED_KEY, ingest.url, signing_secret="not the secret", retry=FAST_RETRY)
    et.track("openai", "gpt-4o", 1, 1)
    et.flush()
    assert [r.status for r in ingest.requests] == [401]
    assert ingest.stored == {} and et.stats.failed == 1
    et.close()


def test_413_splits_the_batch(ingest: FakeIngest) -> None:
    ingest.script = [Scripted(413)]
    et = _client(ingest)
    ids = [et.track("openai", "gpt-4o", 1, 1) for _ in range(4)]
    et.flush()
    assert [len(r.events) for r in ingest.requests] == [4, 2, 2]
    assert ingest.stored_ids == sorted(ids)
    et.close()


def test_batches_stay_under_the_size_limit(ingest: FakeIngest) -> None:
    et = _client(ingest, batch_size=1000, gzip=False)
    metadata = {"note": "x" * 3900}
    for _ in range(600):
        et.track("openai", "gpt-4o", 1, 1, metadata=metadata)
    et.flush()
    sizes = [len(r.raw) for r in ingest.requests]
    assert all(size <= 1024 * 1024 for size in sizes)
    assert sum(len(r.events) for r in ingest.requests) == 600 and len(sizes) >= 3
    assert len(ingest.stored) == 600
    et.close()


def test_flush_on_exit(ingest: FakeIngest, tmp_path: Path) -> None:
    script = tmp_path / "app.py"
    script.write_text(
        "from ecotrack_sdk import EcoTrack\n"
        f"et = EcoTrack({KEY!r}, {ingest.url!r}, flush_interval=3600)\n"
        "for i in range(3):\n"
        "    et.track('openai', 'gpt-4o', i, i, id=f'exit-{i}')\n"
    )
    subprocess.run([sys.executable, str(script)], check=True, timeout=30)
    assert ingest.stored_ids == ["exit-0", "exit-1", "exit-2"]


def test_close_is_bounded_when_the_server_is_down() -> None:
    et = EcoTrack(
        KEY,
        "http://127.0.0.1:9",  # discard port: nothing listens
        retry=RetryPolicy(max_retries=50, base_s=0.2, cap_s=5.0),
        shutdown_timeout=1.0,
    )
    et.track("openai", "gpt-4o", 1, 1)
    start = time.monotonic()
    et.close()
    assert time.monotonic() - start < 8
    assert et.stats.failed == 1
    with pytest.raises(EcoTrackError):
        et.track("openai", "gpt-4o", 1, 1)


def test_full_queue_drops_and_counts(ingest: FakeIngest) -> None:
    et = _client(ingest, max_queue_size=2)
    for _ in range(3):
        et.track("openai", "gpt-4o", 1, 1)
    assert et.stats.dropped == 1
    et.flush()
    assert len(ingest.stored) == 2
    et.close()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tokens_in": -1}, "tokens_in"),
        ({"tokens_out": 1.5}, "tokens_out"),
        ({"provider": ""}, "provider"),
        ({"id": "x" * 129}, "id"),
        ({"ts": datetime(2026, 1, 1)}, "timezone-aware"),  # noqa: DTZ001 - the point
        ({"metadata": {"a": "x" * 5000}}, "metadata"),
    ],
)
def test_track_validates(ingest: FakeIngest, kwargs: dict[str, object], message: str) -> None:
    et = _client(ingest)
    args: dict[str, object] = {"provider": "openai", "model": "m", "tokens_in": 1, "tokens_out": 1}
    args.update(kwargs)
    with pytest.raises(EcoTrackError, match=message):
        et.track(**args)  # type: ignore[arg-type]
    assert et.pending == 0
    et.close()
    assert ingest.requests == []
