"""The built-in LLM providers; importing this package registers them."""

from ecotrack.assistant.plugins import anthropic, gemini, openai

__all__ = ["anthropic", "gemini", "openai"]
