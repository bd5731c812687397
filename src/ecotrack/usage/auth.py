"""Usage auth dependencies: the ingest key with its organisation's plan rate limit applied."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ecotrack.core.deps import AppSettings, DbSession, get_db
from ecotrack.core.sqlite_gate import Turn, WriteGate, gate_for
from ecotrack.factors.llm import ModelCatalogue
from ecotrack.factors.overrides import OverrideSet
from ecotrack.orgs.auth import IngestKey
from ecotrack.usage.service import usage_service


@dataclass(frozen=True, slots=True)
class IngestContext:
    org_id: int
    plan: str
    # The organisation's factor overrides and model catalogue: read here on SQLite (under the
    # writer turn, whose transaction takes the write lock); None on PostgreSQL, where the
    # endpoint reads them in the thread that prepares the batch (one thread hop fewer).
    org: tuple[OverrideSet, ModelCatalogue] | None
    content_encoding: str | None
    body: bytes


class WriterSlot:
    """On SQLite, the turn of this request's ingest at the database's single writer.

    Every SQLite transaction here starts with `BEGIN IMMEDIATE` (the write lock), and a second
    writer waits in SQLite's busy handler, which sleeps in growing steps (up to 100 ms) and can
    lose the race again and again: p99 was over 700 ms with two clients. Ingest instead queues
    at `ecotrack.core.sqlite_gate` (first come, first served in the process, a file lock across
    `serve --workers` processes) and holds the turn twice: for the key check and the
    organisation's context (then commits), and for the write section until it has committed.
    The batch is decoded, validated and enriched between the two, while others write.
    PostgreSQL: no-op (concurrent batches share the organisation's advisory lock)."""

    def __init__(self, gate: WriteGate | None) -> None:
        self._gate = gate
        self._turn: Turn | None = None

    async def acquire(self) -> None:
        if self._gate is not None and self._turn is None:
            self._turn = await self._gate.acquire()

    @property
    def held(self) -> bool:
        return self._turn is not None

    def release(self) -> None:
        turn, self._turn = self._turn, None
        if turn is not None:
            turn.release()


async def writer_slot(request: Request) -> AsyncIterator[WriterSlot]:
    """Resolved before the key check (route dependency), released at the latest after the
    request's unit of work has ended."""
    slot = WriterSlot(gate_for(get_db(request)))
    await slot.acquire()
    try:
        yield slot
    finally:
        slot.release()


Slot = Annotated[WriterSlot, Depends(writer_slot, scope="function")]


async def ingest_context(
    slot: Slot, key: IngestKey, request: Request, session: DbSession, settings: AppSettings
) -> IngestContext:
    """The calling key's organisation, after its per-organisation plan limit (429 beyond).
    SQLite: reads the organisation's context, ends the transaction and gives up the writer
    turn before returning."""
    org = None
    if slot.held:
        org = await run_in_threadpool(_context_and_commit, session, key.org_id)
        slot.release()
    plan, limit = usage_service.plan_limit(settings, org_slug=key.org_slug)
    request.app.state.rate_limiter.hit(f"usage-ingest:{key.org_id}", limit=limit, window_s=60)
    return IngestContext(
        org_id=key.org_id,
        plan=plan,
        org=org,
        content_encoding=request.headers.get("content-encoding"),
        body=await request.body(),
    )


def _context_and_commit(session: Session, org_id: int) -> tuple[OverrideSet, ModelCatalogue]:
    context = usage_service.org_context(session, org_id=org_id)
    session.commit()  # the key check may have touched the key's last use
    return context


Ingest = Annotated[IngestContext, Depends(ingest_context)]
