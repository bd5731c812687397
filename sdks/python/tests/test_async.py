"""`AsyncEcoTrack` against the local ingest server (each test runs its own event loop)."""

from __future__ import annotations

import asyncio
import gzip
import json
import subprocess
import sys
from pathlib import Path

from conftest import FAST_RETRY, KEY, SIGNED_KEY
from ecotrack_sdk import AsyncEcoTrack
from sdk_fakes import FakeIngest, Scripted


def test_batches_by_size_then_flush(ingest: FakeIngest) -> None:
    async def main() -> list[str]:
        async with AsyncEcoTrack(KEY, ingest.url, batch_size=10, flush_interval=60) as et:
            ids = [et.track("openai", "gpt-4o", i, 1, team="ml") for i in range(23)]
            for _ in range(200):
                if len(ingest.requests) >= 2:
                    break
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.05)
            assert [len(r.events) for r in ingest.requests] == [10, 10]
            assert et.pending == 3
            await et.flush()
            assert et.stats.accepted == 23
            return ids

    ids = asyncio.run(main())
    assert [len(r.events) for r in ingest.requests] == [10, 10, 3]
    assert ingest.stored_ids == sorted(ids)
    body = json.loads(gzip.decompress(ingest.requests[0].raw))
    assert body["events"][0]["team"] == "ml"


def test_batches_by_time(ingest: FakeIngest) -> None:
    async def main() -> None:
        et = AsyncEcoTrack(KEY, ingest.url, flush_interval=0.1)
        et.track("openai", "gpt-4o", 1, 1)
        await asyncio.sleep(0.5)
        assert [len(r.events) for r in ingest.requests] == [1]
        await et.aclose()

    asyncio.run(main())


def test_retries_signed_with_same_ids(ingest: FakeIngest) -> None:
    ingest.script = [Scripted(429, {"Retry-After": "0"}), Scripted(drop=True), Scripted(500)]

    async def main() -> AsyncEcoTrack:
        et = AsyncEcoTrack(SIGNED_KEY, ingest.url, signing_secret=SIGNED_KEY, retry=FAST_RETRY)
        et.track("anthropic", "claude", 3, 4, id="a-1")
        et.track("anthropic", "claude", 3, 4, id="a-2")
        await et.aclose()
        return et

    et = asyncio.run(main())
    assert [r.status for r in ingest.requests] == [429, 0, 500, 200]
    assert {tuple(e["id"] for e in r.events) for r in ingest.requests} == {("a-1", "a-2")}
    assert ingest.stored_ids == ["a-1", "a-2"]
    assert (et.stats.retries, et.stats.accepted) == (3, 2)


def test_duplicates_counted(ingest: FakeIngest) -> None:
    async def main() -> AsyncEcoTrack:
        async with AsyncEcoTrack(KEY, ingest.url) as et:
            et.track("openai", "gpt-4o", 1, 1, id="same")
            await et.flush()
            et.track("openai", "gpt-4o", 1, 1, id="same")
        return et

    et = asyncio.run(main())
    assert ingest.stored_ids == ["same"]
    assert (et.stats.accepted, et.stats.duplicates) == (1, 1)


def test_unclosed_client_is_drained_at_exit(ingest: FakeIngest, tmp_path: Path) -> None:
    script = tmp_path / "app.py"
    script.write_text(
        "import asyncio\n"
        "from ecotrack_sdk import AsyncEcoTrack\n"
        f"et = AsyncEcoTrack({KEY!r}, {ingest.url!r}, flush_interval=3600)\n"
        "async def main():\n"
        "    et.track('openai', 'gpt-4o', 1, 2, id='async-exit')\n"
        "asyncio.run(main())\n"
    )
    subprocess.run([sys.executable, str(script)], check=True, timeout=30)
    assert ingest.stored_ids == ["async-exit"]
