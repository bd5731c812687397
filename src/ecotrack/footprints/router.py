"""The questionnaire (anonymous allowed) and the signed-in user's results."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from ecotrack.core.deps import AppSettings, DbSession, client_ip
from ecotrack.core.errors import problem_responses
from ecotrack.core.pagination import Page, Paging
from ecotrack.footprints.schemas import Footprint, FootprintIn, FootprintSummary, Questionnaire
from ecotrack.footprints.service import (
    ANONYMOUS_LIMIT_PER_MINUTE,
    footprints_service,
    normalise_country,
)
from ecotrack.identity.auth import OPTIONAL_AUTH_OPENAPI, AuthUser, CurrentUser, OptionalUser

router = APIRouter(tags=["footprints"])
FootprintId = Annotated[int, Path(ge=1, le=2_147_483_647, description="Result id")]


def anonymous_rate_limit(request: Request, user: OptionalUser) -> AuthUser | None:
    """Anonymous callers: at most `ANONYMOUS_LIMIT_PER_MINUTE` submissions per IP (429 after)."""
    if user is None:
        request.app.state.rate_limiter.hit(
            f"footprint-anon:{client_ip(request)}", limit=ANONYMOUS_LIMIT_PER_MINUTE, window_s=60
        )
    return user


@router.get(
    "/footprints/questionnaire",
    response_model=Questionnaire,
    status_code=200,
    responses=problem_responses(422),
)
def get_questionnaire(
    country: Annotated[
        str | None,
        Query(
            min_length=2,
            max_length=2,
            pattern="^[A-Za-z]{2}$",
            description="ISO 3166-1 alpha-2: picks the defaults",
        ),
    ] = None,
) -> Any:
    """The questions (units, choices, defaults for the country with their sources) and the
    model name and version."""
    return footprints_service.questionnaire(
        country=normalise_country(country, loc=["query", "country"])
    )


@router.post(
    "/footprints",
    response_model=Footprint,
    status_code=200,
    responses=problem_responses(401, 422, 429),
    openapi_extra=OPTIONAL_AUTH_OPENAPI,
)
def create_footprint(
    footprint_in: FootprintIn,
    request: Request,
    session: DbSession,
    settings: AppSettings,
    user: Annotated[AuthUser | None, Depends(anonymous_rate_limit)],
) -> Any:
    """Estimate a questionnaire: total and six categories in kg CO2e per person per year, the
    confidence, the model version, the factors used and a comparison. Anonymous callers are
    welcome (rate-limited per IP); results of signed-in users are kept."""
    agent = request.headers.get("user-agent")
    return footprints_service.submit(
        session,
        footprint_in=footprint_in,
        user_id=user.id if user is not None else None,
        ip=client_ip(request),
        user_agent=agent,
        settings=settings,
    )


@router.get(
    "/me/footprints",
    response_model=Page[FootprintSummary],
    status_code=200,
    responses=problem_responses(401),
)
def list_my_footprints(user: CurrentUser, session: DbSession, paging: Paging) -> Any:
    """Your questionnaire results, newest first."""
    return footprints_service.list_for_user(session, user_id=user.id, page=paging)


@router.get(
    "/footprints/{footprint_id}",
    response_model=Footprint,
    status_code=200,
    responses=problem_responses(401, 404),
)
def get_footprint(footprint_id: FootprintId, user: CurrentUser, session: DbSession) -> Any:
    """One of your results (another person's, or an anonymous one, is 404)."""
    return footprints_service.get_for_user(session, user_id=user.id, footprint_id=footprint_id)
