"""The provider plugins against their documented response shapes: Anthropic and Gemini from
recorded responses served by httpx.MockTransport, OpenAI and OpenAI-compatible by a real local
HTTP server. Every failure is an `LLMError` with a stable outcome, and `complete_json` of the
service never raises."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from ecotrack.assistant.plugins.gemini import gemini_schema
from ecotrack.assistant.providers import (
    LLMError,
    ProviderNotConfigured,
    StructuredRequest,
    make_provider,
    provider_names,
)
from ecotrack.assistant.service import assistant_service
from ecotrack.core.settings import Settings
from tests.assistant.server import FakeOpenAI, recording

SCHEMA = {
    "type": "object",
    "properties": {
        "recommendations": {
            "type": "array",
            "maxItems": 2,
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "string", "enum": ["green_tariff", "cut_electricity"]},
                    "title": {"type": "string"},
                    "description": {"type": "string"},
                },
                "required": ["id", "title", "description"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["recommendations"],
    "additionalProperties": False,
}
REQUEST = StructuredRequest(
    system="system text", prompt="user text", schema=SCHEMA, schema_name="ranked_recommendations"
)


def llm_settings(settings: Settings, **values: Any) -> Settings:
    return settings.model_copy(update={"llm_timeout_s": 1.0, **values})


class Recorder:
    """A MockTransport handler answering one recorded body, keeping the requests it saw."""

    def __init__(self, status: int, body: Any) -> None:
        self.status, self.body = status, body
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if isinstance(self.body, bytes):
            return httpx.Response(self.status, content=self.body)
        return httpx.Response(self.status, json=self.body)


def test_registry_lists_the_built_in_providers(settings) -> None:
    assert provider_names() == ["anthropic", "gemini", "openai", "openai_compatible"]
    assert make_provider(settings) is None  # ECOTRACK_LLM_PROVIDER defaults to none
    with pytest.raises(ProviderNotConfigured, match="unknown LLM provider 'mystery'"):
        make_provider(llm_settings(settings, llm_provider="mystery"))
    with pytest.raises(ProviderNotConfigured, match="set ECOTRACK_LLM_BASE_URL"):
        make_provider(llm_settings(settings, llm_provider="openai_compatible", llm_model="m"))


def test_the_api_key_is_not_in_the_settings_repr(settings) -> None:
    configured = llm_settings(settings, llm_provider="openai", llm_api_key="sk-very-secret")
    assert "sk-very-secret" not in repr(configured)


# --- Anthropic (recorded, MockTransport) ---------------------------------------------------------


def test_anthropic_reads_the_forced_tool_input(settings) -> None:
    handler = Recorder(200, recording("anthropic_messages_tool_use.json"))
    provider = make_provider(
        llm_settings(settings, llm_provider="anthropic", llm_api_key="sk-ant-test"),
        transport=httpx.MockTransport(handler),
    )
    assert provider is not None
    answer = provider.complete_json(REQUEST)
    assert answer == recording("anthropic_messages_tool_use.json")["content"][0]["input"]
    (sent,) = handler.requests
    assert str(sent.url) == "https://api.anthropic.com/v1/messages"
    assert sent.headers["x-api-key"] == "sk-ant-test"
    assert sent.headers["anthropic-version"] == "2023-06-01"
    body = json.loads(sent.content)
    assert body["model"] == "claude-3-5-haiku-latest"
    assert body["system"] == "system text"
    assert body["messages"] == [{"role": "user", "content": "user text"}]
    assert body["tools"][0]["name"] == "ranked_recommendations"
    assert body["tools"][0]["input_schema"] == SCHEMA
    assert body["tool_choice"] == {"type": "tool", "name": "ranked_recommendations"}


@pytest.mark.parametrize(
    ("status", "body", "outcome"),
    [
        (529, recording("anthropic_error_overloaded.json"), "http_error"),
        (200, b"not json at all", "invalid_json"),
        (200, {"type": "message", "content": [{"type": "text", "text": "hi"}]}, "invalid_response"),
    ],
)
def test_anthropic_failures_have_an_outcome(settings, status, body, outcome) -> None:
    provider = make_provider(
        llm_settings(settings, llm_provider="anthropic"),
        transport=httpx.MockTransport(Recorder(status, body)),
    )
    assert provider is not None
    with pytest.raises(LLMError) as caught:
        provider.complete_json(REQUEST)
    assert caught.value.outcome == outcome


# --- Gemini (recorded, MockTransport) ------------------------------------------------------------


def test_gemini_reads_the_candidate_text_as_json(settings) -> None:
    handler = Recorder(200, recording("gemini_generate_content.json"))
    provider = make_provider(
        llm_settings(settings, llm_provider="gemini", llm_api_key="g-key", llm_model="gemini-x"),
        transport=httpx.MockTransport(handler),
    )
    assert provider is not None
    assert provider.complete_json(REQUEST) == {
        "recommendations": [
            {
                "id": "cut_electricity",
                "title": "Cut standby power",
                "description": "Unplug chargers and switch the TV off at the wall.",
            }
        ]
    }
    (sent,) = handler.requests
    assert str(sent.url) == (
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-x:generateContent"
    )
    assert sent.headers["x-goog-api-key"] == "g-key"
    body = json.loads(sent.content)
    assert body["systemInstruction"] == {"parts": [{"text": "system text"}]}
    assert body["contents"] == [{"role": "user", "parts": [{"text": "user text"}]}]
    config = body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert config["responseSchema"] == gemini_schema(SCHEMA)
    item = config["responseSchema"]["properties"]["recommendations"]["items"]
    assert item["type"] == "OBJECT"
    assert "additionalProperties" not in item  # outside Gemini's OpenAPI subset


@pytest.mark.parametrize(
    ("status", "name", "outcome"),
    [
        (400, "gemini_error_invalid_argument.json", "http_error"),
        (200, "gemini_safety_blocked.json", "invalid_response"),
    ],
)
def test_gemini_failures_have_an_outcome(settings, status, name, outcome) -> None:
    provider = make_provider(
        llm_settings(settings, llm_provider="gemini"),
        transport=httpx.MockTransport(Recorder(status, recording(name))),
    )
    assert provider is not None
    with pytest.raises(LLMError) as caught:
        provider.complete_json(REQUEST)
    assert caught.value.outcome == outcome


def test_a_markdown_fenced_answer_is_still_read(settings) -> None:
    body = recording("gemini_generate_content.json")
    text = body["candidates"][0]["content"]["parts"][0]["text"]
    body["candidates"][0]["content"]["parts"][0]["text"] = f"```json\n{text}\n```"
    provider = make_provider(
        llm_settings(settings, llm_provider="gemini"),
        transport=httpx.MockTransport(Recorder(200, body)),
    )
    assert provider is not None
    assert provider.complete_json(REQUEST) == json.loads(text)


# --- OpenAI and OpenAI-compatible (a real local server) -----------------------------------------


@pytest.mark.parametrize("name", ["openai", "openai_compatible"])
def test_openai_plugins_against_a_local_server(settings, llm_server: FakeOpenAI, name) -> None:
    provider = make_provider(
        llm_settings(
            settings,
            llm_provider=name,
            llm_base_url=llm_server.base_url,
            llm_api_key="sk-local",
            llm_model="local-model",
        )
    )
    assert provider is not None
    answer = provider.complete_json(REQUEST)
    content = recording("openai_chat_completion.json")["choices"][0]["message"]["content"]
    assert answer == json.loads(content)
    (body,) = llm_server.requests
    assert body["model"] == "local-model"
    assert body["messages"] == [
        {"role": "system", "content": "system text"},
        {"role": "user", "content": "user text"},
    ]
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "ranked_recommendations", "schema": SCHEMA, "strict": True},
    }
    assert llm_server.headers[0]["Authorization"] == "Bearer sk-local"


@pytest.mark.parametrize(
    ("mode", "outcome"),
    [
        ("http_500", "http_error"),
        ("slow", "timeout"),
        ("garbage", "invalid_json"),
        ("not_a_json_answer", "invalid_json"),
    ],
)
def test_a_failing_local_server_gives_an_outcome_never_an_exception(
    settings, llm_server: FakeOpenAI, mode, outcome
) -> None:
    llm_server.mode = mode
    llm_server.delay_s = 2.0
    configured = llm_settings(
        settings,
        llm_provider="openai_compatible",
        llm_base_url=llm_server.base_url,
        llm_model="local-model",
        llm_timeout_s=0.5,
    )
    result = assistant_service.complete_json(configured, request=REQUEST, purpose="test")
    assert result.outcome == outcome
    assert result.data is None
    assert (result.provider, result.model) == ("openai_compatible", "local-model")
    assert result.latency_ms >= 0


def test_an_unreachable_server_is_a_connection_error(settings, llm_server: FakeOpenAI) -> None:
    url = llm_server.base_url
    llm_server.__exit__(None, None, None)  # nothing listens there any more
    configured = llm_settings(
        settings, llm_provider="openai_compatible", llm_base_url=url, llm_model="m"
    )
    result = assistant_service.complete_json(configured, request=REQUEST, purpose="test")
    assert result.outcome == "connection_error"


def test_no_provider_is_not_configured(settings) -> None:
    result = assistant_service.complete_json(settings, request=REQUEST, purpose="test")
    assert (result.outcome, result.data) == ("not_configured", None)
