"""Usage auth dependencies: the ingest key with its organisation's plan rate limit applied."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from ecotrack.core.deps import AppSettings, DbSession
from ecotrack.factors.llm import ModelCatalogue
from ecotrack.factors.overrides import OverrideSet
from ecotrack.orgs.auth import IngestKey
from ecotrack.usage.service import usage_service


@dataclass(frozen=True, slots=True)
class IngestContext:
    org_id: int
    plan: str
    overrides: OverrideSet
    catalogue: ModelCatalogue
    content_encoding: str | None
    body: bytes


async def ingest_context(
    key: IngestKey, request: Request, session: DbSession, settings: AppSettings
) -> IngestContext:
    """The calling key's organisation, after its per-organisation plan limit (429 beyond)."""
    overrides, catalogue = await run_in_threadpool(
        usage_service.org_context, session, org_id=key.org_id
    )
    plan, limit = usage_service.plan_limit(settings, org_slug=overrides.org)
    request.app.state.rate_limiter.hit(f"usage-ingest:{key.org_id}", limit=limit, window_s=60)
    return IngestContext(
        org_id=key.org_id,
        plan=plan,
        overrides=overrides,
        catalogue=catalogue,
        content_encoding=request.headers.get("content-encoding"),
        body=await request.body(),
    )


Ingest = Annotated[IngestContext, Depends(ingest_context)]
