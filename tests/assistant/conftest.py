from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.assistant.server import FakeOpenAI


@pytest.fixture
def llm_server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server
