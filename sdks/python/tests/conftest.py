"""SDK test fixtures: a fake ingest server and fake OpenAI/Anthropic servers on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ecotrack_sdk import RetryPolicy
from sdk_fakes import FakeIngest, FakeProviders

KEY = "eco_testkey00001_" + "a" * 49
SIGNED_KEY = "eco_testkey00002_" + "b" * 49

# Fast, deterministic backoff for tests: the full (un-jittered) ceiling, tiny base.
FAST_RETRY = RetryPolicy(max_retries=4, base_s=0.01, cap_s=0.05, rng=lambda _lo, hi: hi)


@pytest.fixture
def ingest() -> Iterator[FakeIngest]:
    with FakeIngest({KEY: None, SIGNED_KEY: SIGNED_KEY}) as server:
        yield server


@pytest.fixture
def providers() -> Iterator[FakeProviders]:
    with FakeProviders() as server:
        yield server
