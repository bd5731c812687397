"""LLM assistant: provider plugins (OpenAI, Anthropic, Gemini, any OpenAI-compatible server) behind
one small interface, with a per-user answer cache and a call log. Domains build their prompts and
validate the answers themselves; they never trust an answer they have not validated."""
