"""OpenAI Chat Completions (`POST /v1/chat/completions`) with Structured Outputs
(`response_format: {type: json_schema, json_schema: {name, schema, strict}}`), and the same API
on any OpenAI-compatible server (vLLM, llama.cpp server, Ollama, LM Studio ...).

Answer: `choices[0].message.content` (a JSON string); a `refusal` is an invalid response.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ecotrack.assistant.providers import LLMProvider, StructuredRequest, register


@register("openai")
class OpenAIProvider(LLMProvider):
    default_base_url: ClassVar[str | None] = "https://api.openai.com/v1"
    default_model: ClassVar[str | None] = "gpt-4o-mini"

    def url(self) -> str:
        return f"{self.base_url}/chat/completions"

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    def body(self, request: StructuredRequest) -> dict[str, Any]:
        return {
            "model": self.model,
            "messages": [
                {"role": "system", "content": request.system},
                {"role": "user", "content": request.prompt},
            ],
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
            "response_format": {
                "type": "json_schema",
                "json_schema": {
                    "name": request.schema_name,
                    "schema": request.schema,
                    "strict": True,
                },
            },
        }

    def answer(self, data: Any) -> Any:
        message = data["choices"][0]["message"]
        if message.get("refusal"):
            raise TypeError("the model refused")
        return message["content"]


@register("openai_compatible")
class OpenAICompatibleProvider(OpenAIProvider):
    """Any server speaking the Chat Completions API; `ECOTRACK_LLM_BASE_URL` is required
    (e.g. http://127.0.0.1:11434/v1 for Ollama) and so is `ECOTRACK_LLM_MODEL`."""

    default_base_url = None
    default_model = None
