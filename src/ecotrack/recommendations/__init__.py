"""Recommendations: reduction actions proposed from the user's own data, each priced by the
calculation engine for that user, with an optional LLM rewrite/re-rank."""
