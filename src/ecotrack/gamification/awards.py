"""The ledger primitives: profiles, awards (once per event), badges, levels, board scores.

Everything here runs inside the caller's unit of work (often another domain's request, through
an event handler): it flushes, never commits.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from ecotrack.core.db import utcnow
from ecotrack.core.events import publish
from ecotrack.gamification import repository
from ecotrack.gamification.models import GamificationProfile, PointAward, UserBadge
from ecotrack.gamification.rules import BADGES, level_for, period_start
from ecotrack.orgs.service import orgs_service
from ecotrack.privacy.service import privacy_service

LEADERBOARD_CONSENT = "leaderboard"
PERIODS = ("week", "month", "all")


def today() -> date:
    """The game's calendar day (UTC)."""
    return utcnow().date()


class AwardService:
    def profile(self, session: Session, user_id: int) -> GamificationProfile:
        """The user's profile, created on first use (opt-in read from the privacy consent)."""
        profile = repository.get_profile(session, user_id)
        if profile is not None:
            return profile
        opted_in = privacy_service.has_consent(session, user_id=user_id, kind=LEADERBOARD_CONSENT)
        row = GamificationProfile(
            user_id=user_id,
            points=0,
            level=1,
            streak_days=0,
            best_streak=0,
            freezes=0,
            freezes_used=0,
            leaderboard_opt_in=opted_in,
        )
        if not repository.flush_unique(session, row):
            found = repository.get_profile(session, user_id)
            assert found is not None  # noqa: S101 - the unique key said it exists
            return found
        return row

    def award(
        self,
        session: Session,
        *,
        user_id: int,
        reason: str,
        ref: str,
        points: int,
        awarded_on: date,
        detail: dict[str, Any] | None = None,
        review: bool = False,
    ) -> PointAward | None:
        """Record an award once per (user, reason, ref); None if it was already made.

        `review`: the award is held (status `review`) and counts for nothing until approved.
        """
        if repository.find_award(session, user_id=user_id, reason=reason, ref=ref) is not None:
            return None
        row = PointAward(
            user_id=user_id,
            reason=reason,
            ref=ref,
            points=points,
            status="review" if review else "awarded",
            awarded_on=awarded_on,
            detail=detail or {},
        )
        if not repository.flush_unique(session, row):
            return None
        if not review:
            self.credit(session, row)
        return row

    def credit(self, session: Session, award: PointAward) -> None:
        """Add an awarded row's points to the profile and the week, month and all-time boards."""
        profile = self.profile(session, award.user_id)
        profile.points += award.points
        for period in PERIODS:
            repository.bump_score(
                session,
                period=period,
                start=period_start(period, award.awarded_on),  # type: ignore[arg-type]
                metric="points",
                user_id=award.user_id,
                delta=award.points,
                visible=profile.leaderboard_opt_in,
            )
        session.flush()
        self._check_level(session, profile)
        self.boards_changed(session, user_id=award.user_id, visible=profile.leaderboard_opt_in)

    def _check_level(self, session: Session, profile: GamificationProfile) -> None:
        level, _, _ = level_for(profile.points)
        if level > profile.level:
            profile.level = level
            session.flush()
            publish(session, "level.reached", user_id=profile.user_id, level=level)
            if level >= 5:
                self.badge(session, user_id=profile.user_id, key="level_5")

    def boards_changed(self, session: Session, *, user_id: int, visible: bool) -> None:
        """Tell listeners (SSE) which boards moved: global (if shown there) and the user's orgs."""
        if visible:
            publish(session, "leaderboard.changed", scope="global", scope_id=None)
        for org_id in orgs_service.org_ids_of_user(session, user_id=user_id):
            publish(session, "leaderboard.changed", scope="org", scope_id=org_id)

    def badge(self, session: Session, *, user_id: int, key: str) -> bool:
        """Give a badge once; True when it is new (and `badge.earned` was published)."""
        definition = BADGES[key]
        if any(b.badge == key for b in repository.badges_of(session, user_id)):
            return False
        row = UserBadge(user_id=user_id, badge=key, earned_at=utcnow())
        if not repository.flush_unique(session, row):
            return False
        publish(session, "badge.earned", user_id=user_id, badge=key, name=definition.name)
        return True


award_service = AwardService()
