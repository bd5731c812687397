"""`ecotrack demo`: challenges and leaderboards for the demo people.

* Leaderboard consent (through the privacy service, as the settings page does) for everyone but
  the vegetarian, who keeps the default: off the global board, still on her organisation's.
  Someone who has answered the consent question either way is not asked again.
* Each person joins the challenge that suits their lifestyle, and the Demo Co team "Operations"
  runs "Fortnight of logging" together (started by the owner).

Points, streaks and badges come from the activities seeder (the events of `bulk_log`). Seeding
again adds nothing: a challenge the person (or the team) ever took part in is not joined again.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ecotrack.core.db import ensure_database
from ecotrack.core.settings import Settings
from ecotrack.identity.demo import (
    CAR_COMMUTER,
    DEMO_EMAIL,
    DEMO_EMAILS,
    FREQUENT_FLYER,
    RAIL_COMMUTER,
    VEGETARIAN,
)
from ecotrack.orgs.demo import OPERATIONS, ORG_SLUG, OWNER

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ecotrack.identity.service import User
    from ecotrack.orgs.context import OrgContext

ORDER = 50  # after activities (points) and goals

LEADERBOARD_OPT_IN: tuple[str, ...] = (DEMO_EMAIL, CAR_COMMUTER, RAIL_COMMUTER, FREQUENT_FLYER)
CHALLENGES: dict[str, str] = {  # email -> challenge slug (rules.CHALLENGES)
    DEMO_EMAIL: "cut_home_energy_10",
    CAR_COMMUTER: "cut_home_energy_10",
    RAIL_COMMUTER: "public_transport_week",
    FREQUENT_FLYER: "daily_logger",
    VEGETARIAN: "meat_free_month",
}
TEAM_CHALLENGE = (OPERATIONS, "daily_logger")


def seed(settings: Settings) -> Iterator[str]:
    from ecotrack.gamification.service import challenge_service
    from ecotrack.identity.service import identity_service

    slugs = {c.slug: c.id for c in challenge_service.list_challenges()}
    db = ensure_database(settings)
    lines: list[str] = []
    board: str | None = None
    with db.unit_of_work() as session:
        users = {
            email: user
            for email in DEMO_EMAILS
            if (user := identity_service.get_user_by_email(session, email=email)) is not None
        }
        if not users:
            lines.append("gamification: no demo users, no challenges")
        lines += _consents(session, users)
        for email, slug in CHALLENGES.items():
            user = users.get(email)
            if user is None:
                continue
            challenge_id = slugs[slug]
            taken = challenge_service.my_challenges(session, user_id=user.id)
            if any(p.challenge_id == challenge_id for p in taken):
                continue
            joined = challenge_service.join(session, user_id=user.id, challenge_id=challenge_id)
            lines.append(
                f"gamification: {email} joined {joined.challenge_name!r} "
                f"({joined.progress:.0%} on day one)"
            )
        ctx = _owner_context(session, users)
        if ctx is not None:
            lines += _team_challenge(session, ctx, slugs[TEAM_CHALLENGE[1]])
            board = _board(session, ctx)
    if not lines:
        lines.append("gamification: the demo challenges and consents exist; left as they are")
    yield from lines
    if board is not None:
        yield board


def _consents(session: Session, users: dict[str, User]) -> list[str]:
    """Grant the leaderboard consent to those who never answered the question."""
    from ecotrack.gamification.awards import LEADERBOARD_CONSENT
    from ecotrack.identity.service import ClientInfo
    from ecotrack.privacy.schemas import ConsentIn
    from ecotrack.privacy.service import privacy_service

    lines = []
    for email in LEADERBOARD_OPT_IN:
        user = users.get(email)
        if user is None:
            continue
        answered = any(
            c.kind == LEADERBOARD_CONSENT and c.version is not None
            for c in privacy_service.get_consents(session, user_id=user.id)
        )
        if answered:
            continue
        privacy_service.update_consents(
            session,
            user_id=user.id,
            consents_in=[ConsentIn(kind=LEADERBOARD_CONSENT, granted=True)],
            client=ClientInfo(user_agent="ecotrack demo"),
        )
        lines.append(f"gamification: {email} opted in to the global leaderboard")
    return lines


def _owner_context(session: Session, users: dict[str, User]) -> OrgContext | None:
    """The demo owner acting on Demo Co, or None when either is missing."""
    from ecotrack.core.errors import AppError
    from ecotrack.orgs.context import OrgRole
    from ecotrack.orgs.service import orgs_service

    owner = users.get(OWNER)
    if owner is None:
        return None
    try:
        org = orgs_service.get_org_by_slug(session, slug=ORG_SLUG)
        return orgs_service.access(
            session, org_id=org.id, user_id=owner.id, email=owner.email, role=OrgRole.ADMIN
        )
    except AppError:  # no such organisation, or the owner is no longer an admin of it
        return None


def _team_challenge(session: Session, ctx: OrgContext, challenge_id: int) -> list[str]:
    from ecotrack.core.pagination import PageParams
    from ecotrack.gamification.service import challenge_service
    from ecotrack.orgs.service import orgs_service

    teams = orgs_service.list_teams(session, ctx=ctx, page=PageParams(limit=200, offset=0))
    team = next((t for t in teams.items if t.name == TEAM_CHALLENGE[0]), None)
    if team is None:
        return []
    running = challenge_service.team_challenges(session, ctx=ctx, team_id=team.id)
    if any(t.challenge_id == challenge_id for t in running):
        return []
    started = challenge_service.start_team_challenge(
        session, ctx=ctx, team_id=team.id, challenge_id=challenge_id
    )
    return [
        f"gamification: team {team.name!r} started {started.challenge_name!r} "
        f"with {len(started.members)} member(s)"
    ]


def _board(session: Session, ctx: OrgContext) -> str:
    from ecotrack.core.pagination import PageParams
    from ecotrack.gamification.service import leaderboard_service

    board = leaderboard_service.board(
        session,
        viewer_id=ctx.user_id,
        scope="org",
        scope_id=ctx.org_id,
        period="all",
        metric="points",
        page=PageParams(limit=10, offset=0),
    )
    ranking = ", ".join(f"{e.rank}. {e.display_name} {e.score:.0f}" for e in board.items)
    return f"gamification: Demo Co leaderboard, all-time points: {ranking or 'empty'}"
