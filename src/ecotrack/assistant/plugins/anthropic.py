"""Anthropic Messages API (`POST /v1/messages`, `anthropic-version: 2023-06-01`).

JSON is obtained by forcing one tool whose `input_schema` is the wanted schema
(`tool_choice: {type: tool, name}`); the answer is the `input` of the `tool_use` content block.
"""

from __future__ import annotations

from typing import Any

from ecotrack.assistant.providers import LLMProvider, StructuredRequest, register

API_VERSION = "2023-06-01"


@register("anthropic")
class AnthropicProvider(LLMProvider):
    default_base_url = "https://api.anthropic.com"
    default_model = "claude-3-5-haiku-latest"

    def url(self) -> str:
        return f"{self.base_url}/v1/messages"

    def headers(self) -> dict[str, str]:
        headers = {"anthropic-version": API_VERSION}
        if self.api_key:
            headers["x-api-key"] = self.api_key
        return headers

    def body(self, request: StructuredRequest) -> dict[str, Any]:
        return {
            "model": self.model,
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "system": request.system,
            "messages": [{"role": "user", "content": request.prompt}],
            "tools": [
                {
                    "name": request.schema_name,
                    "description": "Return the answer through this tool.",
                    "input_schema": request.schema,
                }
            ],
            "tool_choice": {"type": "tool", "name": request.schema_name},
        }

    def answer(self, data: Any) -> Any:
        for block in data["content"]:
            if block.get("type") == "tool_use":
                return block["input"]
        raise KeyError("no tool_use block")
