"""Goals of the signed-in user (`/api/v1/goals…`), with progress computed on every read."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from ecotrack.core.deps import DbSession
from ecotrack.core.errors import problem_responses
from ecotrack.core.pagination import Page, Paging
from ecotrack.goals.schemas import Goal, GoalCreate, GoalUpdate
from ecotrack.goals.service import goals_service
from ecotrack.identity.auth import CurrentUser

router = APIRouter(tags=["goals"])

MAX_ID = 2**31 - 1
GoalId = Annotated[int, Path(ge=1, le=MAX_ID, description="Goal id")]


@router.get(
    "/goals",
    response_model=Page[Goal],
    status_code=200,
    summary="My goals with their progress",
    responses=problem_responses(401),
)
def list_goals(
    user: CurrentUser,
    session: DbSession,
    page: Paging,
    achieved: Annotated[bool | None, Query(description="Filter on is_achieved")] = None,
) -> Page[Goal]:
    return goals_service.list_goals(session, user_id=user.id, achieved=achieved, page=page)


@router.post(
    "/goals",
    response_model=Goal,
    status_code=201,
    summary="Set a goal",
    responses=problem_responses(401, 403, 409),
)
def create_goal(goal_in: GoalCreate, user: CurrentUser, session: DbSession) -> Goal:
    return goals_service.create(session, user_id=user.id, goal_in=goal_in)


@router.get(
    "/goals/{goal_id}",
    response_model=Goal,
    status_code=200,
    summary="One of my goals with its progress",
    responses=problem_responses(401, 404),
)
def get_goal(goal_id: GoalId, user: CurrentUser, session: DbSession) -> Goal:
    return goals_service.get(session, user_id=user.id, goal_id=goal_id)


@router.patch(
    "/goals/{goal_id}",
    response_model=Goal,
    status_code=200,
    summary="Change one of my goals",
    responses=problem_responses(401, 403, 404, 409),
)
def update_goal(
    goal_id: GoalId, goal_in: GoalUpdate, user: CurrentUser, session: DbSession
) -> Goal:
    return goals_service.update(session, user_id=user.id, goal_id=goal_id, goal_in=goal_in)


@router.delete(
    "/goals/{goal_id}",
    status_code=204,
    response_model=None,
    response_class=Response,
    summary="Delete one of my goals",
    responses=problem_responses(401, 403, 404),
)
def delete_goal(goal_id: GoalId, user: CurrentUser, session: DbSession) -> Any:
    goals_service.delete(session, user_id=user.id, goal_id=goal_id)
    return Response(status_code=204)
