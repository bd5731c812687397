"""Usage auth dependencies: the ingest key with its organisation's plan rate limit applied."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from ecotrack.core.deps import AppSettings, DbSession, get_db
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

_writer_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


async def sqlite_writer_slot(request: Request) -> AsyncIterator[None]:
    """On SQLite, one ingest unit of work at a time in this process, held until it has
    committed (released after the session's exit: this dependency is resolved first).

    SQLite has one writer; the unit of work takes the write lock at its first statement
    (`BEGIN IMMEDIATE`) and a second writer waits in SQLite's busy handler, which sleeps in
    growing steps (up to 100 ms) and can lose the race again and again to a client that sends
    its next batch at once: p99 was over 700 ms with two clients. An asyncio lock (first come,
    first served; waiting holds no thread of the pool the endpoints run in) hands over as soon
    as the previous batch commits. Other processes still meet SQLite's busy timeout.
    PostgreSQL: no-op (concurrent batches share the organisation's advisory lock)."""
    if get_db(request).dialect != "sqlite":
        yield
        return
    loop = asyncio.get_running_loop()
    lock = _writer_locks.get(loop)
    if lock is None:
        lock = _writer_locks[loop] = asyncio.Lock()
    async with lock:
        yield


SqliteWriterSlot = Depends(sqlite_writer_slot, scope="function")
