"""The signed-in user's recommendations: list (engine-priced), implement, dismiss."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from ecotrack.core.deps import AppSettings, DbSession
from ecotrack.core.errors import problem_responses
from ecotrack.identity.auth import CurrentUser
from ecotrack.recommendations.schemas import Recommendation, RecommendationList, StatusFilter
from ecotrack.recommendations.service import recommendations_service

router = APIRouter(tags=["recommendations"])
RecommendationId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Recommendation id")]


@router.get(
    "/recommendations",
    response_model=RecommendationList,
    status_code=200,
    responses=problem_responses(401),
)
def list_recommendations(
    request: Request,
    user: CurrentUser,
    session: DbSession,
    settings: AppSettings,
    status: Annotated[
        StatusFilter, Query(description="open (default), implemented, dismissed or all")
    ] = "open",
) -> RecommendationList:
    """Actions that fit the user's own data, each with the kg CO2e a year it saves for this
    user as computed by the engine (`terms` and `explanation` show the arithmetic)."""
    return recommendations_service.list_recommendations(
        session,
        user_id=user.id,
        status=status,
        settings=settings,
        limiter=request.app.state.rate_limiter,
    )


@router.post(
    "/recommendations/{recommendation_id}/implement",
    response_model=Recommendation,
    status_code=200,
    responses=problem_responses(401, 404),
)
def implement_recommendation(
    recommendation_id: RecommendationId, user: CurrentUser, session: DbSession
) -> Recommendation:
    """Mark an action as done; the saving last computed for it is recorded (idempotent)."""
    return recommendations_service.implement(
        session, user_id=user.id, recommendation_id=recommendation_id
    )


@router.post(
    "/recommendations/{recommendation_id}/dismiss",
    response_model=Recommendation,
    status_code=200,
    responses=problem_responses(401, 404, 409),
)
def dismiss_recommendation(
    recommendation_id: RecommendationId, user: CurrentUser, session: DbSession
) -> Recommendation:
    """Hide an action for good (idempotent); implemented actions cannot be dismissed."""
    return recommendations_service.dismiss(
        session, user_id=user.id, recommendation_id=recommendation_id
    )
