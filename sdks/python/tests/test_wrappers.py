"""`wrap_openai` / `wrap_anthropic` on the official SDKs, pointed at local fake provider servers,
recording into a real `EcoTrack` client that sends to the local ingest server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest

from conftest import FAST_RETRY, KEY
from ecotrack_sdk import AsyncEcoTrack, EcoTrack, wrap_anthropic, wrap_openai
from sdk_fakes import ANTHROPIC_MODEL, OPENAI_MODEL, FakeIngest, FakeProviders

MESSAGES = [{"role": "user", "content": "Say hello"}]


@pytest.fixture
def tracker(ingest: FakeIngest) -> Iterator[EcoTrack]:
    et = EcoTrack(KEY, ingest.url, retry=FAST_RETRY, flush_interval=60)
    yield et
    et.close()


def _recorded(ingest: FakeIngest, tracker: EcoTrack) -> list[dict[str, Any]]:
    tracker.flush()
    events = [e for r in ingest.requests for e in r.events]
    for event in events:
        assert event["latency_ms"] > 0
        assert len(event["id"]) == 36  # uuid4
    return [{k: v for k, v in e.items() if k not in ("id", "ts", "latency_ms")} for e in events]


def _openai(providers: FakeProviders, cls: Any = openai.OpenAI) -> Any:
    return cls(api_key="sk-test", base_url=f"{providers.url}/v1", max_retries=0)


def _anthropic(providers: FakeProviders, cls: Any = anthropic.Anthropic) -> Any:
    return cls(api_key="sk-ant-test", base_url=providers.url, max_retries=0)


OPENAI_EVENT = {"provider": "openai", "model": OPENAI_MODEL, "tokens_in": 12, "tokens_out": 5}
ANTHROPIC_EVENT = {
    "provider": "anthropic",
    "model": ANTHROPIC_MODEL,
    "tokens_in": 20,
    "tokens_out": 7,
}


def test_openai_completion(providers: FakeProviders, ingest: FakeIngest, tracker: EcoTrack) -> None:
    client = _openai(providers)
    assert wrap_openai(client, tracker, user="ann@example.org", team="ml") is client
    response = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert type(response) is openai.types.chat.ChatCompletion
    assert response.choices[0].message.content == "Hello there!"
    assert response.usage is not None and response.usage.total_tokens == 17
    assert _recorded(ingest, tracker) == [{**OPENAI_EVENT, "user": "ann@example.org", "team": "ml"}]


def test_openai_stream_asks_for_usage_and_hides_it(
    providers: FakeProviders, ingest: FakeIngest, tracker: EcoTrack
) -> None:
    client = wrap_openai(_openai(providers), tracker)
    stream = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
    assert type(stream) is openai.Stream
    chunks = list(stream)
    # The caller sees exactly the chunks it asked for: no extra usage-only chunk.
    assert [c.choices[0].delta.content for c in chunks] == ["", "Hello", " there!"]
    assert all(c.usage is None for c in chunks)
    assert providers.requests[-1][1]["stream_options"] == {"include_usage": True}
    assert _recorded(ingest, tracker) == [OPENAI_EVENT]


def test_openai_stream_with_usage_requested_is_unchanged(
    providers: FakeProviders, ingest: FakeIngest, tracker: EcoTrack
) -> None:
    client = wrap_openai(_openai(providers), tracker)
    with client.chat.completions.create(
        model="gpt-4o-mini",
        messages=MESSAGES,
        stream=True,
        stream_options={"include_usage": True},
    ) as stream:
        chunks = list(stream)
    assert len(chunks) == 4
    assert chunks[-1].choices == [] and chunks[-1].usage.prompt_tokens == 12
    assert _recorded(ingest, tracker) == [OPENAI_EVENT]


def test_openai_error_records_nothing(
    providers: FakeProviders, ingest: FakeIngest, tracker: EcoTrack
) -> None:
    client = wrap_openai(_openai(providers), tracker)
    providers.fail_next = True
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert _recorded(ingest, tracker) == []


def test_wrapping_twice_records_once(
    providers: FakeProviders, ingest: FakeIngest, tracker: EcoTrack
) -> None:
    client = wrap_openai(wrap_openai(_openai(providers), tracker), tracker)
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert _recorded(ingest, tracker) == [OPENAI_EVENT]


def test_openai_async(providers: FakeProviders, ingest: FakeIngest, tracker: EcoTrack) -> None:
    async def main() -> tuple[Any, list[Any]]:
        client = wrap_openai(_openai(providers, openai.AsyncOpenAI), tracker, app="bot")
        response = await client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        stream = await client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, stream=True
        )
        assert type(stream) is openai.AsyncStream
        chunks = [chunk async for chunk in stream]
        return response, chunks

    response, chunks = asyncio.run(main())
    assert response.choices[0].message.content == "Hello there!"
    assert len(chunks) == 3
    assert _recorded(ingest, tracker) == [{**OPENAI_EVENT, "app": "bot"}] * 2


def test_anthropic_message(providers: FakeProviders, ingest: FakeIngest, tracker: EcoTrack) -> None:
    client = _anthropic(providers)
    assert wrap_anthropic(client, tracker, team="support") is client
    message = client.messages.create(
        model="claude-3-5-haiku-latest", max_tokens=64, messages=MESSAGES
    )
    assert type(message) is anthropic.types.Message
    assert message.content[0].text == "Hi!"
    assert _recorded(ingest, tracker) == [{**ANTHROPIC_EVENT, "team": "support"}]


def test_anthropic_stream(providers: FakeProviders, ingest: FakeIngest, tracker: EcoTrack) -> None:
    client = wrap_anthropic(_anthropic(providers), tracker)
    stream = client.messages.create(
        model="claude-3-5-haiku-latest", max_tokens=64, messages=MESSAGES, stream=True
    )
    assert type(stream) is anthropic.Stream
    kinds = [event.type for event in stream]
    assert kinds == [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    assert _recorded(ingest, tracker) == [ANTHROPIC_EVENT]


def test_anthropic_async_with_async_tracker(providers: FakeProviders, ingest: FakeIngest) -> None:
    async def main() -> list[str]:
        async with AsyncEcoTrack(KEY, ingest.url, retry=FAST_RETRY) as et:
            client = wrap_anthropic(_anthropic(providers, anthropic.AsyncAnthropic), et)
            message = await client.messages.create(
                model="claude-3-5-haiku-latest", max_tokens=64, messages=MESSAGES
            )
            stream = await client.messages.create(
                model="claude-3-5-haiku-latest", max_tokens=64, messages=MESSAGES, stream=True
            )
            kinds = [event.type async for event in stream]
            assert message.usage.output_tokens == 7
            return kinds

    kinds = asyncio.run(main())
    assert kinds[0] == "message_start" and kinds[-1] == "message_stop"
    events = [e for r in ingest.requests for e in r.events]
    assert [(e["provider"], e["model"], e["tokens_in"], e["tokens_out"]) for e in events] == [
        ("anthropic", ANTHROPIC_MODEL, 20, 7)
    ] * 2
