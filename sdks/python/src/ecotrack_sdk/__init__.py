"""EcoTrack SDK: send AI-usage events (`EcoTrack`, `AsyncEcoTrack`) and record OpenAI/Anthropic
calls automatically (`wrap_openai`, `wrap_anthropic`). Depends on httpx only."""

from ecotrack_sdk._core import EcoTrackError, Rejected, RetryPolicy, Stats, sign
from ecotrack_sdk.aio import AsyncEcoTrack
from ecotrack_sdk.client import EcoTrack
from ecotrack_sdk.wrappers import wrap_anthropic, wrap_openai

__version__ = "0.1.0"
__all__ = [
    "AsyncEcoTrack",
    "EcoTrack",
    "EcoTrackError",
    "Rejected",
    "RetryPolicy",
    "Stats",
    "__version__",
    "sign",
    "wrap_anthropic",
    "wrap_openai",
]
