"""Points, badges, challenges, team challenges, leaderboards and the admin review queue."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from ecotrack.core.deps import DbSession
from ecotrack.core.errors import problem_responses
from ecotrack.core.pagination import Page, Paging
from ecotrack.gamification.schemas import (
    Challenge,
    GamificationSummary,
    Leaderboard,
    Metric,
    Participation,
    PeriodName,
    Review,
    Rules,
    Scope,
    TeamChallenge,
    TeamChallengeCreate,
)
from ecotrack.gamification.service import (
    challenge_service,
    gamification_service,
    leaderboard_service,
)
from ecotrack.identity.auth import CurrentUser, PlatformAdmin
from ecotrack.orgs.auth import MAX_ID, OrgAdmin, OrgViewer

router = APIRouter(tags=["gamification"])

ChallengeId = Annotated[int, Path(ge=1, le=MAX_ID, description="Catalogue challenge id")]
AwardId = Annotated[int, Path(ge=1, le=MAX_ID, description="Award id")]
TeamId = Annotated[int, Path(ge=1, le=MAX_ID, description="Team id")]


@router.get(
    "/me/gamification",
    response_model=GamificationSummary,
    status_code=200,
    responses=problem_responses(401),
)
def get_my_gamification(user: CurrentUser, session: DbSession) -> GamificationSummary:
    """Your points, level (and the next), streak and freezes, badges and latest awards."""
    return gamification_service.summary(session, user_id=user.id)


@router.get("/gamification/rules", response_model=Rules, status_code=200)
def get_rules() -> Rules:
    """Every number of the game: points, caps, review threshold, streak freezes, levels, badges."""
    return gamification_service.rules()


# --- challenges -------------------------------------------------------------------------------


@router.get("/challenges", response_model=list[Challenge], status_code=200)
def list_challenges() -> list[Challenge]:
    """The challenge catalogue."""
    return challenge_service.list_challenges()


@router.get(
    "/challenges/{challenge_id}",
    response_model=Challenge,
    status_code=200,
    responses=problem_responses(404),
)
def get_challenge(challenge_id: ChallengeId) -> Challenge:
    return challenge_service.get_challenge(challenge_id)


@router.post(
    "/challenges/{challenge_id}/join",
    response_model=Participation,
    status_code=201,
    responses=problem_responses(401, 404, 409),
)
def join_challenge(
    challenge_id: ChallengeId, user: CurrentUser, session: DbSession
) -> Participation:
    """Start the challenge today; progress counts your activities dated in its window."""
    return challenge_service.join(session, user_id=user.id, challenge_id=challenge_id)


@router.post(
    "/challenges/{challenge_id}/leave",
    response_model=Participation,
    status_code=200,
    responses=problem_responses(401, 404, 409),
)
def leave_challenge(
    challenge_id: ChallengeId, user: CurrentUser, session: DbSession
) -> Participation:
    """Leave your running participation in the challenge (alone or in a team)."""
    return challenge_service.leave(session, user_id=user.id, challenge_id=challenge_id)


@router.get(
    "/me/challenges",
    response_model=list[Participation],
    status_code=200,
    responses=problem_responses(401),
)
def list_my_challenges(user: CurrentUser, session: DbSession) -> list[Participation]:
    """Your challenges, newest first, with progress evaluated now."""
    return challenge_service.my_challenges(session, user_id=user.id)


@router.post(
    "/orgs/{org_id}/teams/{team_id}/challenges",
    response_model=TeamChallenge,
    status_code=201,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def start_team_challenge(
    team_id: TeamId, challenge_in: TeamChallengeCreate, ctx: OrgAdmin, session: DbSession
) -> TeamChallenge:
    """Start a catalogue challenge for a team (org admins): every member joins, progress pools."""
    return challenge_service.start_team_challenge(
        session, ctx=ctx, team_id=team_id, challenge_id=challenge_in.challenge_id
    )


@router.get(
    "/orgs/{org_id}/teams/{team_id}/challenges",
    response_model=list[TeamChallenge],
    status_code=200,
    responses=problem_responses(401, 404),
)
def list_team_challenges(
    team_id: TeamId, ctx: OrgViewer, session: DbSession
) -> list[TeamChallenge]:
    return challenge_service.team_challenges(session, ctx=ctx, team_id=team_id)


# --- leaderboards -----------------------------------------------------------------------------


@router.get(
    "/leaderboards",
    response_model=Leaderboard,
    status_code=200,
    responses=problem_responses(401, 404, 422),
)
def get_leaderboard(
    user: CurrentUser,
    session: DbSession,
    page: Paging,
    scope: Annotated[Scope, Query(description="global (opted-in users), org or team")] = "global",
    scope_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Organisation or team id")
    ] = None,
    period: Annotated[PeriodName, Query()] = "week",
    metric: Annotated[Metric, Query()] = "points",
    day: Annotated[
        dt.date | None,
        Query(description="Any day of the wanted period (default: see docs/gamification.md)"),
    ] = None,
) -> Leaderboard:
    """A leaderboard page, best first, with your own rank."""
    return leaderboard_service.board(
        session,
        viewer_id=user.id,
        scope=scope,
        scope_id=scope_id,
        period=period,
        metric=metric,
        page=page,
        day=day,
    )


# --- review queue -----------------------------------------------------------------------------


@router.get(
    "/admin/gamification/reviews",
    response_model=Page[Review],
    status_code=200,
    responses=problem_responses(401, 403),
)
def list_reviews(
    admin: PlatformAdmin,  # noqa: ARG001 - the dependency is the check
    session: DbSession,
    page: Paging,
    status: Annotated[Literal["review", "awarded", "rejected"], Query()] = "review",
) -> Page[Review]:
    """Awards held as implausible (platform admins), oldest first."""
    return gamification_service.list_reviews(session, status=status, page=page)


@router.post(
    "/admin/gamification/reviews/{award_id}/approve",
    response_model=Review,
    status_code=200,
    responses=problem_responses(401, 403, 404, 409),
)
def approve_review(award_id: AwardId, admin: PlatformAdmin, session: DbSession) -> Review:
    return gamification_service.approve(session, award_id=award_id, admin_id=admin.id)


@router.post(
    "/admin/gamification/reviews/{award_id}/reject",
    response_model=Review,
    status_code=200,
    responses=problem_responses(401, 403, 404, 409),
)
def reject_review(award_id: AwardId, admin: PlatformAdmin, session: DbSession) -> Review:
    return gamification_service.reject(session, award_id=award_id, admin_id=admin.id)
