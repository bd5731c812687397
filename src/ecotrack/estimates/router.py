"""Estimates, the activity vocabulary, factors and their sources."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Response

from ecotrack.core.errors import problem_responses
from ecotrack.core.pagination import Page, Paging
from ecotrack.estimates.schemas import (
    ActivityTypeOut,
    BatchIn,
    BatchOut,
    EstimateIn,
    EstimateOut,
    FactorOut,
    SearchScope,
    SourceOut,
)
from ecotrack.estimates.service import estimate_service

router = APIRouter(tags=["estimates"])


@router.post(
    "/estimates",
    response_model=EstimateOut,
    status_code=200,
    responses=problem_responses(422),
)
def create_estimate(estimate_in: EstimateIn) -> Response:
    """Estimate one activity: kg CO2e, gas split, range, the factor with its provenance, and the
    steps that produced the number."""
    body = estimate_service.estimate_one(request_in=estimate_in.model_dump())
    return Response(orjson.dumps(body), media_type="application/json")


@router.post(
    "/estimates/batch",
    response_model=BatchOut,
    status_code=200,
    responses=problem_responses(413, 422),
)
def create_estimate_batch(batch_in: BatchIn) -> Response:
    """Estimate up to 10,000 activities in one call, computed column-wise. Results (or per-item
    errors) come back in input order; a bad item never fails the others."""
    body = estimate_service.estimate_many(items=batch_in.items, explain=batch_in.explain)
    return Response(orjson.dumps(body), media_type="application/json")


@router.get("/activity-types", response_model=list[ActivityTypeOut])
def list_activity_types() -> list[ActivityTypeOut]:
    """The activity vocabulary: each activity, its accepted units, options and default sources."""
    return [ActivityTypeOut.model_validate(a) for a in estimate_service.activity_types()]


@router.get("/factors", response_model=Page[FactorOut])
def list_factors(
    paging: Paging,
    q: Annotated[str | None, Query(max_length=200, description="Words to match")] = None,
    source: Annotated[str | None, Query(max_length=40, description="desnz, desnz:2024…")] = None,
    year: Annotated[int | None, Query(ge=1900, le=2100)] = None,
    region: Annotated[str | None, Query(max_length=32)] = None,
    activity: Annotated[str | None, Query(max_length=64)] = None,
    scope: SearchScope | None = None,
) -> Page[FactorOut]:
    """Search the emission factors by text, dataset, year, region, activity and scope."""
    items, total = estimate_service.search_factors(
        text=q,
        source=source,
        year=year,
        region=region,
        activity=activity,
        scope=scope,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page[FactorOut](
        items=[FactorOut.model_validate(i) for i in items],
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )


@router.get("/factors/{factor_id:path}", response_model=FactorOut, responses=problem_responses(404))
def get_factor(factor_id: str) -> FactorOut:
    """One factor with its provenance (dataset, edition, licence, attribution, reference)."""
    return FactorOut.model_validate(estimate_service.get_factor(factor_id=factor_id))


@router.get("/factor-sources", response_model=list[SourceOut])
def list_factor_sources() -> list[SourceOut]:
    """The datasets and editions EcoTrack ships, with licences and attribution texts."""
    return [SourceOut.model_validate(s) for s in estimate_service.sources()]
