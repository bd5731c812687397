"""Usage auth dependencies: the ingest key with its organisation's plan rate limit applied."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ecotrack.core.db import sqlite_read_phase
from ecotrack.core.deps import AppSettings, DbSession, get_db, hit_rate_limit
from ecotrack.core.sqlite_gate import Turn, WriteGate, gate_for
from ecotrack.factors.llm import ModelCatalogue
from ecotrack.factors.overrides import OverrideSet
from ecotrack.orgs.auth import IngestKey
from ecotrack.orgs.context import ApiKeyPrincipal
from ecotrack.usage.service import usage_service


@dataclass(frozen=True, slots=True)
class IngestContext:
    org_id: int
    plan: str
    key: ApiKeyPrincipal
    # The organisation's factor overrides and model catalogue: read here on SQLite (in the
    # read phase, so that preparing the batch, outside the write gate, touches no database);
    # None on PostgreSQL, where the endpoint reads them in the thread that prepares and writes
    # the batch (one thread hop fewer).
    org: tuple[OverrideSet, ModelCatalogue] | None
    content_encoding: str | None
    body: bytes


class WriterSlot:
    """On SQLite, the turn of this request's ingest at the database's single writer.

    Every SQLite transaction here starts with `BEGIN IMMEDIATE` (the write lock), and a second
    writer waits in SQLite's busy handler, which sleeps in growing steps (up to 100 ms) and can
    lose the race again and again: p99 was over 700 ms with two clients. Ingest instead queues
    at `ecotrack.core.sqlite_gate` (first come, first served in the process, a file lock across
    `serve --workers` processes) for its write section only, and holds the turn until it has
    committed. Before that, the key check and the organisation's context are a read phase
    (`ecotrack.core.db.sqlite_read_phase`: a deferred transaction, no lock, beside the writer;
    a `last_used_at` touch the key check owes is written in the write section), and the batch
    is decoded, validated and enriched while others write. PostgreSQL: no gate (concurrent
    batches share the organisation's advisory lock)."""

    def __init__(self, gate: WriteGate | None) -> None:
        self._gate = gate
        self._turn: Turn | None = None

    @property
    def gated(self) -> bool:
        return self._gate is not None

    async def acquire(self) -> None:
        if self._gate is not None and self._turn is None:
            self._turn = await self._gate.acquire()

    def release(self) -> None:
        turn, self._turn = self._turn, None
        if turn is not None:
            turn.release()


async def writer_slot(request: Request) -> AsyncIterator[WriterSlot]:
    """Resolved before the key check (route dependency): on SQLite it opens the read phase the
    key check runs in. The turn, if taken, is given back at the latest after the request's
    unit of work has ended."""
    slot = WriterSlot(gate_for(get_db(request)))
    if slot.gated:
        sqlite_read_phase(True)  # this request's task; ended by `ingest_context`
    try:
        yield slot
    finally:
        slot.release()


Slot = Annotated[WriterSlot, Depends(writer_slot, scope="function")]


async def ingest_context(
    slot: Slot, key: IngestKey, request: Request, session: DbSession, settings: AppSettings
) -> IngestContext:
    """The calling key's organisation, after its per-organisation plan limit (429 beyond).
    SQLite: reads the organisation's context in the read phase, ends that transaction and the
    phase before returning."""
    org = None
    if slot.gated:
        org = await run_in_threadpool(_context_and_commit, session, key)
        sqlite_read_phase(False)
    plan, limit = usage_service.plan_limit(settings, org_slug=key.org_slug)
    await hit_rate_limit(request, f"usage-ingest:{key.org_id}", limit=limit, window_s=60)
    return IngestContext(
        org_id=key.org_id,
        plan=plan,
        key=key,
        org=org,
        content_encoding=request.headers.get("content-encoding"),
        body=await request.body(),
    )


def _context_and_commit(
    session: Session, key: ApiKeyPrincipal
) -> tuple[OverrideSet, ModelCatalogue]:
    context = usage_service.org_context(session, org_id=key.org_id, org_slug=key.org_slug)
    session.commit()  # ends the read transaction (SQLite: a deferred one, no lock held)
    return context


Ingest = Annotated[IngestContext, Depends(ingest_context)]
