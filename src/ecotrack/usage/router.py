"""AI usage: `POST /v1/ingest` (root, API key) and the read API under `/orgs/{org_id}/usage`."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ecotrack.core.deps import AppSettings, DbSession, get_db
from ecotrack.core.errors import problem_responses
from ecotrack.core.settings import Settings
from ecotrack.orgs.auth import OrgReader
from ecotrack.orgs.service import orgs_service
from ecotrack.usage.auth import Ingest, IngestContext, Slot
from ecotrack.usage.schemas import (
    Dimension,
    GroupBy,
    IngestBatch,
    IngestResult,
    Interval,
    Metric,
    UsageEventPage,
    UsageFilters,
    UsageSummary,
    UsageTimeseries,
    UsageTop,
)
from ecotrack.usage.service import PreparedBatch, usage_service

root_router = APIRouter(tags=["usage"])
router = APIRouter(prefix="/orgs/{org_id}/usage", tags=["usage"])


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON schema with its `$defs` references inlined (for `openapi_extra`)."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return walk(dict(defs[ref.split("/")[-1]]))
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    result: dict[str, Any] = walk(schema)
    return result


_BATCH_SCHEMA = _inline(IngestBatch.model_json_schema())


@root_router.post(
    "/v1/ingest",
    response_model=IngestResult,
    status_code=200,
    responses=problem_responses(400, 401, 403, 404, 413, 415, 429),
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "At most 1,000 events and 1 MiB (after gzip decoding); "
            "`Content-Encoding: gzip` accepted.",
            "content": {"application/json": {"schema": _BATCH_SCHEMA}},
        }
    },
)
async def ingest(
    ctx: Ingest, slot: Slot, session: DbSession, settings: AppSettings, request: Request
) -> IngestResult:
    """Store a batch of LLM-call events. Valid events are committed before the answer, even
    when others are rejected; an id already stored is counted as a duplicate."""
    dialect = get_db(request).dialect
    if not slot.gated:  # PostgreSQL: prepare and write in one trip to the thread pool
        return await run_in_threadpool(_prepare_store_and_commit, session, ctx, settings, dialect)
    batch = await run_in_threadpool(_prepare, session, ctx, settings, dialect)
    await slot.acquire()
    try:
        return await run_in_threadpool(_store_and_commit, session, batch, ctx, settings)
    finally:
        slot.release()


def _prepare_store_and_commit(
    session: Session, ctx: IngestContext, settings: Settings, dialect: str
) -> IngestResult:
    return _store_and_commit(session, _prepare(session, ctx, settings, dialect), ctx, settings)


def _prepare(
    session: Session, ctx: IngestContext, settings: Settings, dialect: str
) -> PreparedBatch:
    """The organisation's context (unless read already: SQLite), then the batch prepared."""
    org = ctx.org or usage_service.org_context(
        session, org_id=ctx.org_id, org_slug=ctx.key.org_slug
    )
    return usage_service.prepare_body(
        org_id=ctx.org_id,
        body=ctx.body,
        content_encoding=ctx.content_encoding,
        settings=settings,
        org=org,
        dialect=dialect,
    )


def _store_and_commit(
    session: Session, batch: PreparedBatch, ctx: IngestContext, settings: Settings
) -> IngestResult:
    """The write section, committed (or rolled back) before the writer turn is given up; with
    it the key's `last_used_at` if its check (a SQLite read phase) left that due."""
    try:
        orgs_service.touch_api_key(session, principal=ctx.key, settings=settings)
        result = usage_service.store(session, batch)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return result


# --- reads ------------------------------------------------------------------------------------


def _today() -> date:
    return datetime.now(UTC).date()


async def date_range(
    start: Annotated[date | None, Query(alias="from", description="First day (UTC)")] = None,
    end: Annotated[date | None, Query(alias="to", description="Last day, inclusive")] = None,
) -> tuple[date, date]:
    end = end or _today()
    return (start or end - timedelta(days=29)), end


async def usage_filters(
    team: Annotated[str | None, Query(max_length=128)] = None,
    user: Annotated[str | None, Query(max_length=256)] = None,
    provider: Annotated[str | None, Query(max_length=64)] = None,
    model: Annotated[str | None, Query(max_length=128)] = None,
) -> UsageFilters:
    return UsageFilters(team=team, user=user, provider=provider, model=model)


DateRange = Annotated[tuple[date, date], Depends(date_range)]
Filters = Annotated[UsageFilters, Depends(usage_filters)]
_READ_ERRORS = problem_responses(401, 403, 404, 422)


@router.get("/summary", response_model=UsageSummary, status_code=200, responses=_READ_ERRORS)
def summary(
    access: OrgReader,
    session: DbSession,
    days: DateRange,
    filters: Filters,
    group_by: GroupBy = GroupBy.DAY,
) -> UsageSummary:
    """Totals and groups over a date range, from the daily rollups."""
    start, end = days
    groups, totals = usage_service.summary_with_totals(
        session, org_id=access.org_id, start=start, end=end, group_by=group_by, filters=filters
    )
    return UsageSummary(start=start, end=end, group_by=group_by, totals=totals, groups=groups)


@router.get("/timeseries", response_model=UsageTimeseries, status_code=200, responses=_READ_ERRORS)
def timeseries(
    access: OrgReader,
    session: DbSession,
    days: DateRange,
    filters: Filters,
    interval: Interval = Interval.DAY,
) -> UsageTimeseries:
    """One point per day, week or month, empty intervals included."""
    start, end = days
    points = usage_service.timeseries(
        session, org_id=access.org_id, start=start, end=end, interval=interval, filters=filters
    )
    return UsageTimeseries(start=start, end=end, interval=interval, points=points)


@router.get("/top", response_model=UsageTop, status_code=200, responses=_READ_ERRORS)
def top(
    access: OrgReader,
    session: DbSession,
    days: DateRange,
    filters: Filters,
    by: Dimension = Dimension.MODEL,
    metric: Metric = Metric.CO2E_KG,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> UsageTop:
    """The largest users, teams, providers or models by a metric."""
    start, end = days
    items = usage_service.top(
        session,
        org_id=access.org_id,
        start=start,
        end=end,
        by=by,
        metric=metric,
        limit=limit,
        filters=filters,
    )
    return UsageTop(start=start, end=end, by=by, metric=metric, items=items)


@router.get("/events", response_model=UsageEventPage, status_code=200, responses=_READ_ERRORS)
def events(
    access: OrgReader,
    session: DbSession,
    filters: Filters,
    start: Annotated[datetime | None, Query(alias="from", description="ts >= from")] = None,
    end: Annotated[datetime | None, Query(alias="to", description="ts < to")] = None,
    status: Annotated[str | None, Query(max_length=32, description="ok, model-not-registered")] = (
        None
    ),
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> UsageEventPage:
    """Raw events with their enrichment, newest first, keyset-paged (`next_cursor`)."""
    return usage_service.events(
        session,
        org_id=access.org_id,
        start=start,
        end=end,
        filters=filters,
        status=status,
        cursor=cursor,
        limit=limit,
    )
