"""Google Gemini API (`POST /v1beta/models/{model}:generateContent`, key in `x-goog-api-key`).

JSON mode: `generationConfig.responseMimeType = application/json` with a `responseSchema` (the
OpenAPI 3.0 subset Gemini accepts: type, properties, required, items, enum, maxItems ...). The
answer is the text of `candidates[0].content.parts`.
"""

from __future__ import annotations

from typing import Any

from ecotrack.assistant.providers import LLMProvider, StructuredRequest, register

_SUPPORTED = {"type", "properties", "required", "items", "enum", "maxItems", "minItems"}
_SUPPORTED |= {"description", "nullable", "format", "maxLength"}


def gemini_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON Schema reduced to Gemini's OpenAPI subset (types upper-case)."""
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key not in _SUPPORTED:
            continue
        if key == "type":
            out[key] = str(value).upper()
        elif key == "properties":
            out[key] = {name: gemini_schema(sub) for name, sub in value.items()}
        elif key == "items":
            out[key] = gemini_schema(value)
        else:
            out[key] = value
    return out


@register("gemini")
class GeminiProvider(LLMProvider):
    default_base_url = "https://generativelanguage.googleapis.com"
    default_model = "gemini-2.0-flash"

    def url(self) -> str:
        return f"{self.base_url}/v1beta/models/{self.model}:generateContent"

    def headers(self) -> dict[str, str]:
        return {"x-goog-api-key": self.api_key} if self.api_key else {}

    def body(self, request: StructuredRequest) -> dict[str, Any]:
        return {
            "systemInstruction": {"parts": [{"text": request.system}]},
            "contents": [{"role": "user", "parts": [{"text": request.prompt}]}],
            "generationConfig": {
                "responseMimeType": "application/json",
                "responseSchema": gemini_schema(request.schema),
                "temperature": request.temperature,
                "maxOutputTokens": request.max_tokens,
            },
        }

    def answer(self, data: Any) -> Any:
        parts = data["candidates"][0]["content"]["parts"]
        return "".join(part["text"] for part in parts if "text" in part)
