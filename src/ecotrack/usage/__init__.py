"""AI usage: ingest of LLM-call events, enrichment, storage, daily rollups and queries."""
