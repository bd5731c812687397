"""The LLM provider interface and its registry (house style rule 11: plugins, not if-chains).

A provider turns a `StructuredRequest` (system text, user text, a JSON Schema) into one JSON
object, over httpx only (no vendor SDK). Every failure is an `LLMError` with a stable `outcome`
(`timeout`, `http_error`, `connection_error`, `invalid_json`, `invalid_response`) so the caller
can log it and fall back. Plugins register with `@register("name")`; `ECOTRACK_LLM_PROVIDER`
picks one (`none` disables the assistant).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx

from ecotrack.core.settings import Settings


class LLMError(Exception):
    """A provider call that gave no usable JSON object."""

    def __init__(self, outcome: str, detail: str) -> None:
        super().__init__(f"{outcome}: {detail}")
        self.outcome = outcome
        self.detail = detail


class ProviderNotConfigured(LLMError):
    def __init__(self, detail: str) -> None:
        super().__init__("not_configured", detail)


@dataclass(frozen=True)
class StructuredRequest:
    """Ask for one JSON object that follows `schema` (a JSON Schema object)."""

    system: str
    prompt: str
    schema: dict[str, Any]
    schema_name: str = "answer"
    max_tokens: int = 2000
    temperature: float = 0.2


class LLMProvider(ABC):
    """One LLM HTTP API. Subclasses build the request body and read the answer out of the
    provider's documented response shape."""

    name: ClassVar[str]
    default_base_url: ClassVar[str | None] = None
    default_model: ClassVar[str | None] = None
    path: ClassVar[str]

    def __init__(
        self,
        *,
        base_url: str | None,
        api_key: str | None,
        model: str | None,
        timeout_s: float,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        base = base_url or self.default_base_url
        chosen = model or self.default_model
        if not base:
            raise ProviderNotConfigured(f"{self.name}: set ECOTRACK_LLM_BASE_URL")
        if not chosen:
            raise ProviderNotConfigured(f"{self.name}: set ECOTRACK_LLM_MODEL")
        self.base_url = base.rstrip("/")
        self.api_key = api_key
        self.model = chosen
        self.timeout_s = timeout_s
        self.transport = transport

    # --- what a plugin implements -----------------------------------------------------------
    @abstractmethod
    def url(self) -> str: ...

    @abstractmethod
    def headers(self) -> dict[str, str]: ...

    @abstractmethod
    def body(self, request: StructuredRequest) -> dict[str, Any]: ...

    @abstractmethod
    def answer(self, data: Any) -> Any:
        """The JSON object (dict) or its text, taken from the provider's response body."""

    # --- shared HTTP path -------------------------------------------------------------------
    def complete_json(self, request: StructuredRequest) -> dict[str, Any]:
        """POST the request, return the answer as a JSON object; raise `LLMError` otherwise."""
        try:
            with httpx.Client(
                timeout=httpx.Timeout(self.timeout_s), transport=self.transport
            ) as client:
                response = client.post(
                    self.url(),
                    headers={"Content-Type": "application/json", **self.headers()},
                    json=self.body(request),
                )
        except httpx.TimeoutException as exc:
            raise LLMError("timeout", f"{self.name}: no answer within {self.timeout_s} s") from exc
        except httpx.HTTPError as exc:
            raise LLMError("connection_error", f"{self.name}: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise LLMError("http_error", f"{self.name}: HTTP {response.status_code}")
        try:
            data = response.json()
        except ValueError as exc:
            raise LLMError("invalid_json", f"{self.name}: the response is not JSON") from exc
        try:
            value = self.answer(data)
        except (KeyError, IndexError, TypeError, AttributeError) as exc:
            raise LLMError(
                "invalid_response", f"{self.name}: unexpected response shape ({exc!r})"
            ) from exc
        if isinstance(value, str):
            try:
                value = json.loads(_strip_fence(value))
            except ValueError as exc:
                raise LLMError("invalid_json", f"{self.name}: the answer is not JSON") from exc
        if not isinstance(value, dict):
            raise LLMError("invalid_json", f"{self.name}: the answer is not a JSON object")
        return value


def _strip_fence(text: str) -> str:
    """Some models wrap JSON in a Markdown code fence despite JSON mode."""
    stripped = text.strip()
    if stripped.startswith("```"):
        stripped = stripped.split("\n", 1)[1] if "\n" in stripped else ""
        if stripped.rstrip().endswith("```"):
            stripped = stripped.rstrip()[:-3]
    return stripped.strip()


PROVIDERS: dict[str, type[LLMProvider]] = {}


def register(name: str) -> Callable[[type[LLMProvider]], type[LLMProvider]]:
    def decorator(cls: type[LLMProvider]) -> type[LLMProvider]:
        cls.name = name
        PROVIDERS[name] = cls
        return cls

    return decorator


def provider_names() -> list[str]:
    _load_plugins()
    return sorted(PROVIDERS)


def make_provider(
    settings: Settings, *, transport: httpx.BaseTransport | None = None
) -> LLMProvider | None:
    """The provider `ECOTRACK_LLM_PROVIDER` names (None for `none`); raises
    `ProviderNotConfigured` for an unknown name or a missing base URL / model."""
    name = settings.llm_provider
    if name == "none":
        return None
    _load_plugins()
    cls = PROVIDERS.get(name)
    if cls is None:
        raise ProviderNotConfigured(
            f"unknown LLM provider {name!r}; known: none, {', '.join(sorted(PROVIDERS))}"
        )
    return cls(
        base_url=settings.llm_base_url,
        api_key=settings.llm_api_key,
        model=settings.llm_model,
        timeout_s=settings.llm_timeout_s,
        transport=transport,
    )


def _load_plugins() -> None:
    import ecotrack.assistant.plugins  # noqa: F401 - registers the built-in providers
