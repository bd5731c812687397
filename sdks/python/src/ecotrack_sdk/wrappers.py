"""`wrap_openai(client)` and `wrap_anthropic(client)`: record every completion in EcoTrack.

The wrappers patch the client *instance* (`client.chat.completions.create`,
`client.messages.create`) and return the same object, so what every call returns is unchanged:
the same response object, or the same `Stream`/`AsyncStream` object for `stream=True` (its
iterator is wrapped in place). Recorded per call: provider, the model that answered, input and
output tokens and the latency (request start to the last byte of a stream). A call that raises
records nothing; a recording problem never breaks the call.

Streaming usage: OpenAI sends token counts only when asked (`stream_options={"include_usage":
True}`); the wrapper asks for them, and if the caller did not, hides that extra final chunk (no
choices, only `usage`) so the caller sees exactly the chunks it would have seen. Anthropic reports
`message_start.message.usage` (input) and cumulative `message_delta.usage` (output).
Anthropic's input tokens are recorded as `input_tokens + cache_creation_input_tokens +
cache_read_input_tokens` (every prompt token the model processed).
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

logger = logging.getLogger("ecotrack_sdk")

T = TypeVar("T")


class Tracker(Protocol):
    def track(
        self,
        provider: str,
        model: str,
        tokens_in: int,
        tokens_out: int,
        latency_ms: float | None = None,
        user: str | None = None,
        team: str | None = None,
        app: str | None = None,
        metadata: Any = None,
    ) -> str: ...


_default: Tracker | None = None


def default_tracker() -> Tracker:
    """An `EcoTrack` client from `ECOTRACK_API_KEY`, `ECOTRACK_BASE_URL` and (signed keys)
    `ECOTRACK_SIGNING_SECRET`, created on first use."""
    global _default
    if _default is None:
        from ecotrack_sdk.client import DEFAULT_BASE_URL, EcoTrack

        key = os.environ.get("ECOTRACK_API_KEY")
        if not key:
            from ecotrack_sdk._core import EcoTrackError

            raise EcoTrackError("pass tracker=EcoTrack(...) or set ECOTRACK_API_KEY")
        _default = EcoTrack(
            key,
            os.environ.get("ECOTRACK_BASE_URL", DEFAULT_BASE_URL),
            os.environ.get("ECOTRACK_SIGNING_SECRET"),
        )
    return _default


@dataclass
class _Call:
    """What one provider call records."""

    tracker: Tracker
    provider: str
    model: str
    labels: dict[str, Any]
    started: float = field(default_factory=time.perf_counter)
    tokens_in: int | None = None
    tokens_out: int | None = None
    done: bool = False

    def record(self) -> None:
        if self.done:
            return
        self.done = True
        if self.tokens_in is None and self.tokens_out is None:
            logger.debug("EcoTrack: no usage reported for a %s call; nothing recorded", self.model)
            return
        try:
            self.tracker.track(
                self.provider,
                self.model,
                int(self.tokens_in or 0),
                int(self.tokens_out or 0),
                latency_ms=round((time.perf_counter() - self.started) * 1000, 3),
                **self.labels,
            )
        except Exception:
            logger.exception("EcoTrack: could not record a %s call", self.provider)


def _get(obj: Any, name: str) -> Any:
    if obj is None:
        return None
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


def _labels(user: str | None, team: str | None, app: str | None) -> dict[str, Any]:
    return {k: v for k, v in {"user": user, "team": team, "app": app}.items() if v is not None}


def _wrap_stream(stream: Any, on_item: Callable[[Any], bool], call: _Call) -> Any:
    """Wrap the provider's Stream/AsyncStream iterator in place (same object returned); `on_item`
    returns False for an item the caller must not see."""
    iterator = getattr(stream, "_iterator", None)
    if iterator is None:
        call.record()
        return stream
    if hasattr(iterator, "__anext__"):

        async def agen() -> AsyncIterator[Any]:
            try:
                async for item in iterator:
                    if on_item(item):
                        yield item
            finally:
                call.record()

        stream._iterator = agen()
    else:

        def gen() -> Iterator[Any]:
            try:
                for item in iterator:
                    if on_item(item):
                        yield item
            finally:
                call.record()

        stream._iterator = gen()
    return stream


def _patch(
    resource: Any,
    attr: str,
    handle: Callable[[Callable[..., Any], tuple[Any, ...], dict[str, Any]], Any],
) -> None:
    original = getattr(resource, attr)
    if getattr(original, "__ecotrack_wrapped__", False):
        return

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return handle(original, args, kwargs)

    wrapper.__ecotrack_wrapped__ = True  # type: ignore[attr-defined]
    setattr(resource, attr, wrapper)


def _call_then(
    original: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], after: Any
) -> Any:
    """Call the provider; `after(result)` sees the result (sync) or the awaited result (async)."""
    result = original(*args, **kwargs)
    if inspect.isawaitable(result):

        async def awaited() -> Any:
            return after(await result)

        return awaited()
    return after(result)


# --- OpenAI ------------------------------------------------------------------------------------


def wrap_openai(
    client: T,
    tracker: Tracker | None = None,
    *,
    user: str | None = None,
    team: str | None = None,
    app: str | None = None,
    provider: str = "openai",
) -> T:
    """Record every `client.chat.completions.create(...)` of an `OpenAI`/`AsyncOpenAI` client
    (streaming included) in EcoTrack; returns the same client."""
    labels = _labels(user, team, app)

    def handle(original: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        et = tracker or default_tracker()
        call = _Call(et, provider, str(kwargs.get("model", "unknown")), labels)
        if not kwargs.get("stream"):

            def after(response: Any) -> Any:
                _openai_usage(call, response)
                call.record()
                return response

            return _call_then(original, args, kwargs, after)
        options = dict(kwargs.get("stream_options") or {})
        hide_usage_chunk = not options.get("include_usage")
        if hide_usage_chunk:
            kwargs = {**kwargs, "stream_options": {**options, "include_usage": True}}

        def on_chunk(chunk: Any) -> bool:
            _openai_usage(call, chunk)
            usage_only = _get(chunk, "usage") is not None and not _get(chunk, "choices")
            return not (hide_usage_chunk and usage_only)

        return _call_then(original, args, kwargs, lambda s: _wrap_stream(s, on_chunk, call))

    _patch(client.chat.completions, "create", handle)  # type: ignore[attr-defined]
    return client


def _openai_usage(call: _Call, obj: Any) -> None:
    model = _get(obj, "model")
    if model:
        call.model = str(model)
    usage = _get(obj, "usage")
    if usage is not None:
        call.tokens_in = _get(usage, "prompt_tokens") or 0
        call.tokens_out = _get(usage, "completion_tokens") or 0


# --- Anthropic ---------------------------------------------------------------------------------


def wrap_anthropic(
    client: T,
    tracker: Tracker | None = None,
    *,
    user: str | None = None,
    team: str | None = None,
    app: str | None = None,
    provider: str = "anthropic",
) -> T:
    """Record every `client.messages.create(...)` of an `Anthropic`/`AsyncAnthropic` client
    (streaming included) in EcoTrack; returns the same client."""
    labels = _labels(user, team, app)

    def handle(original: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        et = tracker or default_tracker()
        call = _Call(et, provider, str(kwargs.get("model", "unknown")), labels)
        if not kwargs.get("stream"):

            def after(message: Any) -> Any:
                model = _get(message, "model")
                if model:
                    call.model = str(model)
                _anthropic_usage(call, _get(message, "usage"))
                call.record()
                return message

            return _call_then(original, args, kwargs, after)

        def on_event(event: Any) -> bool:
            kind = _get(event, "type")
            if kind == "message_start":
                message = _get(event, "message")
                if _get(message, "model"):
                    call.model = str(_get(message, "model"))
                _anthropic_usage(call, _get(message, "usage"))
            elif kind == "message_delta":
                _anthropic_usage(call, _get(event, "usage"))
            return True

        return _call_then(original, args, kwargs, lambda s: _wrap_stream(s, on_event, call))

    _patch(client.messages, "create", handle)  # type: ignore[attr-defined]
    return client


def _anthropic_usage(call: _Call, usage: Any) -> None:
    """Merge a usage block: message_delta counts are cumulative, so the last one wins."""
    if usage is None:
        return
    prompt = [
        _get(usage, name)
        for name in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    ]
    if any(p is not None for p in prompt):
        total = sum(int(p) for p in prompt if p is not None)
        # message_delta may repeat input_tokens as 0 in older API versions: keep the larger.
        call.tokens_in = max(call.tokens_in or 0, total)
    output = _get(usage, "output_tokens")
    if output is not None:
        call.tokens_out = int(output)
