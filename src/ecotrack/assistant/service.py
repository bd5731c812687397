"""The assistant's service: run a structured LLM call (never raising), cache validated answers
per user + input hash, and log every call without its personal content.

Other domains use it in three steps: `cached()` at request time (is there a fresh validated
answer for this exact input?), `mark_pending()` before enqueueing their own job, and, in that
job, `complete_json()` (outside any database transaction: it may take `ECOTRACK_LLM_TIMEOUT_S`)
followed by `store()` and `record_call()`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.orm import Session

from ecotrack.assistant import repository
from ecotrack.assistant.models import AssistantCache, AssistantCall
from ecotrack.assistant.providers import LLMError, StructuredRequest, make_provider
from ecotrack.core.db import utcnow
from ecotrack.core.events import subscribe
from ecotrack.core.settings import Settings

logger = logging.getLogger("ecotrack.assistant")

PENDING = "pending"
OK = "ok"
FAILED = "failed"
FAILED_TTL_S = 300  # a failed answer is not retried for five minutes


@dataclass(frozen=True)
class CallResult:
    """How one provider call ended: `outcome` is `ok` (then `data` is the JSON object) or the
    failure (`timeout`, `http_error`, `connection_error`, `invalid_json`, `invalid_response`,
    `not_configured`)."""

    outcome: str
    data: dict[str, Any] | None
    latency_ms: int
    provider: str
    model: str


def input_hash(value: Any) -> str:
    """SHA-256 of the canonical JSON of `value` (the cache key of an input)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class AssistantService:
    def enabled(self, settings: Settings) -> bool:
        return settings.llm_provider != "none"

    def complete_json(
        self,
        settings: Settings,
        *,
        request: StructuredRequest,
        purpose: str,
        transport: httpx.BaseTransport | None = None,
    ) -> CallResult:
        """Ask the configured provider; never raises. Logs provider, model, latency and outcome
        (not the prompt, not the answer)."""
        started = time.perf_counter()
        provider_name, model = settings.llm_provider, settings.llm_model or ""
        try:
            provider = make_provider(settings, transport=transport)
            if provider is None:
                raise LLMError("not_configured", "ECOTRACK_LLM_PROVIDER is none")
            model = provider.model
            data: dict[str, Any] | None = provider.complete_json(request)
            outcome = OK
        except LLMError as exc:
            data, outcome = None, exc.outcome
            logger.warning(
                "llm call failed: %s",
                exc.detail,
                extra={"llm": {"provider": provider_name, "model": model, "purpose": purpose}},
            )
        except Exception:  # a plugin bug must not break the caller either
            data, outcome = None, "error"
            logger.exception("llm provider %s raised", provider_name)
        latency_ms = int((time.perf_counter() - started) * 1000)
        logger.info(
            "llm call %s",
            outcome,
            extra={
                "llm": {
                    "provider": provider_name,
                    "model": model,
                    "purpose": purpose,
                    "latency_ms": latency_ms,
                    "outcome": outcome,
                }
            },
        )
        return CallResult(outcome, data, latency_ms, provider_name, model)

    # --- cache ------------------------------------------------------------------------------
    def cached(
        self, session: Session, *, user_id: int, purpose: str, input_hash: str
    ) -> AssistantCache | None:
        """The unexpired cache row for this input (any status), else None."""
        row = repository.cache_entry(
            session, user_id=user_id, purpose=purpose, input_hash=input_hash
        )
        if row is None or row.expires_at <= utcnow():
            return None
        return row

    def mark_pending(
        self, session: Session, *, user_id: int, purpose: str, input_hash: str, ttl_s: float
    ) -> AssistantCache:
        return self.store(
            session,
            user_id=user_id,
            purpose=purpose,
            input_hash=input_hash,
            status=PENDING,
            payload=None,
            ttl_s=ttl_s,
        )

    def store(
        self,
        session: Session,
        *,
        user_id: int,
        purpose: str,
        input_hash: str,
        status: str,
        payload: dict[str, Any] | None,
        ttl_s: float,
    ) -> AssistantCache:
        row = repository.cache_entry(
            session, user_id=user_id, purpose=purpose, input_hash=input_hash
        )
        expires_at = utcnow() + timedelta(seconds=ttl_s)
        if row is None:
            row = AssistantCache(
                user_id=user_id,
                purpose=purpose,
                input_hash=input_hash,
                status=status,
                payload=payload,
                expires_at=expires_at,
            )
            repository.add(session, row)
        else:
            row.status, row.payload, row.expires_at = status, payload, expires_at
            session.flush()
        return row

    # --- log --------------------------------------------------------------------------------
    def record_call(
        self,
        session: Session,
        *,
        user_id: int | None,
        purpose: str,
        result: CallResult,
        outcome: str | None = None,
        input_hash: str,
    ) -> AssistantCall:
        """Keep one call in the log; `outcome` overrides the transport outcome (e.g. the
        caller's validation found a `schema_violation`)."""
        row = AssistantCall(
            user_id=user_id,
            purpose=purpose,
            provider=result.provider[:40],
            model=(result.model or "")[:100],
            outcome=(outcome or result.outcome)[:30],
            latency_ms=result.latency_ms,
            input_hash=input_hash,
        )
        repository.add(session, row)
        return row

    def calls(self, session: Session, *, user_id: int | None = None) -> list[AssistantCall]:
        return repository.calls(session, user_id=user_id)


assistant_service = AssistantService()


@subscribe("user.erased")
def _erase(session: Session, *, user_id: int) -> None:
    repository.erase_user(session, user_id)
