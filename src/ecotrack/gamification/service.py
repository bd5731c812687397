"""Gamification: points for logging and for real reductions, streaks with freezes, levels,
badges, challenges, leaderboards and the review queue for implausible awards.

`gamification_service` is the facade other code uses; `challenge_service` and
`leaderboard_service` (re-exported here) hold challenges and boards. Reactions to other domains
(`activity.logged`, `activity.changed`, `privacy.consent_changed`, `user.erased`,
`privacy.export_requested`) are subscribed at the bottom; they run in the publisher's
transaction. Published: `badge.earned`, `level.reached`, `challenge.completed`,
`leaderboard.changed`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from ecotrack.activities.service import activities_service
from ecotrack.core.db import utcnow
from ecotrack.core.errors import ConflictError, NotFoundError
from ecotrack.core.events import publish, subscribe
from ecotrack.core.pagination import Page, PageParams
from ecotrack.gamification import repository
from ecotrack.gamification.awards import LEADERBOARD_CONSENT, award_service, today
from ecotrack.gamification.challenges import challenge_service, participation_out
from ecotrack.gamification.leaderboards import leaderboard_service
from ecotrack.gamification.models import GamificationProfile, PointAward
from ecotrack.gamification.rules import (
    ALL_TIME_START,
    BADGES,
    BASELINE_MIN_WEEKS,
    BASELINE_MONTHS,
    BASELINE_WEEKS,
    CAR_ACTIVITIES,
    FREEZE_EVERY,
    LEVEL_THRESHOLDS,
    LOG_DAILY_CAP,
    LOG_POINTS,
    LOG_WINDOW_DAYS,
    MAX_FREEZES,
    MONTH_MIN_LOGGED_DAYS,
    REDUCTION_MIN_PCT,
    REDUCTION_POINTS_PER_PCT,
    REDUCTION_REVIEW_PCT,
    REDUCTION_WEEKLY_CAP,
    WEEK_MIN_LOGGED_DAYS,
    level_for,
    month_end,
    previous_month_start,
    reduction_pct,
    replay_streak,
    week_start,
)
from ecotrack.gamification.schemas import (
    Award,
    BadgeInfo,
    EarnedBadge,
    GamificationSummary,
    LevelRule,
    Review,
    Rules,
)

__all__ = ["challenge_service", "gamification_service", "leaderboard_service"]


class AwardNotFound(NotFoundError):
    code = "award-not-found"


class NotUnderReview(ConflictError):
    code = "award-not-under-review"


def _mean_per_logged_day(totals: dict[date, float], start: date, end: date) -> tuple[float, int]:
    """(kg per logged day, logged days) between start and end inclusive."""
    values = [kg for day, kg in totals.items() if start <= day <= end]
    return (sum(values) / len(values) if values else 0.0), len(values)


def iso_week(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


class GamificationService:
    # --- reactions to activities ------------------------------------------------------------

    def on_activity_logged(
        self, session: Session, *, user_id: int, activity_id: int, activity: str, occurred_on: date
    ) -> PointAward | None:
        """Logging points: 10 per new activity dated within the last 7 days, at most 50 a day."""
        on = today()
        award_service.profile(session, user_id)
        award_service.badge(session, user_id=user_id, key="first_log")
        if not on - timedelta(days=LOG_WINDOW_DAYS - 1) <= occurred_on <= on + timedelta(days=1):
            return None
        used = repository.points_on(session, user_id=user_id, reason="log", day=on)
        points = min(LOG_POINTS, LOG_DAILY_CAP - used)
        if points <= 0:
            return None
        return award_service.award(
            session,
            user_id=user_id,
            reason="log",
            ref=str(activity_id),
            points=points,
            awarded_on=on,
            detail={"activity": activity, "occurred_on": occurred_on.isoformat()},
        )

    def on_activities_changed(self, session: Session, *, user_id: int) -> None:
        """Streak, reductions and challenges follow the user's activities."""
        on = today()
        self.refresh_streak(session, user_id=user_id, on=on)
        self.evaluate_reductions(session, user_id=user_id, on=on)
        challenge_service.evaluate_user(session, user_id=user_id)

    # --- streaks ----------------------------------------------------------------------------

    def refresh_streak(self, session: Session, *, user_id: int, on: date) -> GamificationProfile:
        profile = award_service.profile(session, user_id)
        days = activities_service.activity_days(
            session, user_id=user_id, start=ALL_TIME_START, end=on
        )
        state = replay_streak(list(days), on)
        profile.streak_days = state.streak
        profile.best_streak = max(profile.best_streak, state.best)
        profile.freezes = state.freezes
        profile.freezes_used = state.freezes_used
        profile.streak_last_day = state.last_day
        session.flush()
        if profile.best_streak >= 7:
            award_service.badge(session, user_id=user_id, key="streak_7")
        if profile.best_streak >= 30:
            award_service.badge(session, user_id=user_id, key="streak_30")
        return profile

    # --- reductions -------------------------------------------------------------------------

    def evaluate_reductions(self, session: Session, *, user_id: int, on: date) -> None:
        """Score last week's and last month's reduction against the user's own baseline.

        Runs on every change of the user's activities during the following period, so late
        entries still count; points are awarded once per week (the ledger key is the ISO week).
        """
        last_week = week_start(on) - timedelta(days=7)
        last_month = previous_month_start(on)
        first_month = last_month
        for _ in range(BASELINE_MONTHS):
            first_month = previous_month_start(first_month)
        start = min(last_week - timedelta(weeks=BASELINE_WEEKS), first_month)
        totals = activities_service.daily_totals(session, user_id=user_id, start=start, end=on)
        if not totals:
            return
        profile = award_service.profile(session, user_id)
        self._settle_week(session, profile, monday=last_week, totals=totals, on=on)
        self._settle_month(session, profile, first=last_month, totals=totals)

    def _settle_week(
        self,
        session: Session,
        profile: GamificationProfile,
        *,
        monday: date,
        totals: dict[date, float],
        on: date,
    ) -> None:
        sunday = monday + timedelta(days=6)
        rate, logged = _mean_per_logged_day(totals, monday, sunday)
        if logged < WEEK_MIN_LOGGED_DAYS:
            return
        self._car_free_badge(session, profile.user_id, monday, sunday)
        baselines = []
        for k in range(1, BASELINE_WEEKS + 1):
            start = monday - timedelta(weeks=k)
            value, days = _mean_per_logged_day(totals, start, start + timedelta(days=6))
            if days >= WEEK_MIN_LOGGED_DAYS:
                baselines.append(value)
        if len(baselines) < BASELINE_MIN_WEEKS:
            return
        baseline = sum(baselines) / len(baselines)
        if baseline <= 0:
            return
        pct = reduction_pct(baseline, rate)
        ref = iso_week(monday)
        existing = repository.find_award(
            session, user_id=profile.user_id, reason="weekly_reduction", ref=ref
        )
        held = pct > REDUCTION_REVIEW_PCT or (existing is not None and existing.status != "awarded")
        if not held:
            repository.set_score(
                session,
                period="week",
                start=monday,
                metric="reduction_pct",
                user_id=profile.user_id,
                score=pct,
                visible=profile.leaderboard_opt_in,
            )
        if existing is not None or pct < REDUCTION_MIN_PCT:
            return
        award = award_service.award(
            session,
            user_id=profile.user_id,
            reason="weekly_reduction",
            ref=ref,
            points=min(REDUCTION_WEEKLY_CAP, int(pct) * REDUCTION_POINTS_PER_PCT),
            awarded_on=on,
            detail={
                "week_start": monday.isoformat(),
                "reduction_pct": pct,
                "baseline_kg_per_day": round(baseline, 3),
                "kg_per_day": round(rate, 3),
                "logged_days": logged,
                "baseline_weeks": len(baselines),
            },
            review=pct > REDUCTION_REVIEW_PCT,
        )
        if award is not None and award.status == "awarded" and pct >= 10:
            award_service.badge(session, user_id=profile.user_id, key="reduction_10")

    def _car_free_badge(self, session: Session, user_id: int, monday: date, sunday: date) -> None:
        if any(b.badge == "car_free_week" for b in repository.badges_of(session, user_id)):
            return
        usage = activities_service.usage(session, user_id=user_id, start=monday, end=sunday)
        travelled = any(u.category == "transportation" for u in usage)
        if travelled and not any(u.activity in CAR_ACTIVITIES for u in usage):
            award_service.badge(session, user_id=user_id, key="car_free_week")

    def _settle_month(
        self,
        session: Session,
        profile: GamificationProfile,
        *,
        first: date,
        totals: dict[date, float],
    ) -> None:
        rate, logged = _mean_per_logged_day(totals, first, month_end(first))
        if logged < MONTH_MIN_LOGGED_DAYS:
            return
        baselines = []
        month = first
        for _ in range(BASELINE_MONTHS):
            month = previous_month_start(month)
            value, days = _mean_per_logged_day(totals, month, month_end(month))
            if days >= MONTH_MIN_LOGGED_DAYS:
                baselines.append((month, value))
        if profile.baseline_month_kg is None:
            # The all-time reference: the earliest qualifying month EcoTrack has seen.
            profile.baseline_month_kg = baselines[-1][1] if baselines else rate
            session.flush()
        scores: list[tuple[str, date, float]] = []
        if baselines and (mean := sum(v for _, v in baselines) / len(baselines)) > 0:
            scores.append(("month", first, reduction_pct(mean, rate)))
        if profile.baseline_month_kg and profile.baseline_month_kg > 0:
            scores.append(("all", ALL_TIME_START, reduction_pct(profile.baseline_month_kg, rate)))
        for period, start, pct in scores:
            if pct <= REDUCTION_REVIEW_PCT:  # implausible cuts stay off the boards
                repository.set_score(
                    session,
                    period=period,
                    start=start,
                    metric="reduction_pct",
                    user_id=profile.user_id,
                    score=pct,
                    visible=profile.leaderboard_opt_in,
                )

    # --- the user's view --------------------------------------------------------------------

    def summary(self, session: Session, *, user_id: int) -> GamificationSummary:
        profile = self.refresh_streak(session, user_id=user_id, on=today())
        level, level_points, next_points = level_for(profile.points)
        badges = repository.badges_of(session, user_id)
        awards = repository.recent_awards(session, user_id=user_id, limit=20)
        held = repository.held_points(session, user_id=user_id)
        return GamificationSummary(
            user_id=user_id,
            points=profile.points,
            level=level,
            level_points=level_points,
            next_level=level + 1 if next_points is not None else None,
            next_level_points=next_points,
            points_to_next_level=None if next_points is None else next_points - profile.points,
            streak_days=profile.streak_days,
            best_streak=profile.best_streak,
            streak_last_day=profile.streak_last_day,
            freezes=profile.freezes,
            freezes_used=profile.freezes_used,
            leaderboard_opt_in=profile.leaderboard_opt_in,
            held_points=held,
            badges=[
                EarnedBadge(
                    key=b.badge,
                    name=BADGES[b.badge].name,
                    description=BADGES[b.badge].description,
                    earned_at=b.earned_at,
                )
                for b in badges
                if b.badge in BADGES
            ],
            recent_awards=[Award.model_validate(a) for a in awards],
        )

    def rules(self) -> Rules:
        return Rules(
            log_points=LOG_POINTS,
            log_daily_cap=LOG_DAILY_CAP,
            log_window_days=LOG_WINDOW_DAYS,
            reduction_min_pct=REDUCTION_MIN_PCT,
            reduction_points_per_pct=REDUCTION_POINTS_PER_PCT,
            reduction_weekly_cap=REDUCTION_WEEKLY_CAP,
            reduction_review_pct=REDUCTION_REVIEW_PCT,
            week_min_logged_days=WEEK_MIN_LOGGED_DAYS,
            freeze_every_days=FREEZE_EVERY,
            max_freezes=MAX_FREEZES,
            levels=[LevelRule(level=i + 1, points=p) for i, p in enumerate(LEVEL_THRESHOLDS)],
            badges=[
                BadgeInfo(key=b.key, name=b.name, description=b.description)
                for b in BADGES.values()
            ],
        )

    # --- review queue (platform admins) -----------------------------------------------------

    def list_reviews(self, session: Session, *, status: str, page: PageParams) -> Page[Review]:
        rows, total = repository.awards_by_status(
            session, status=status, limit=page.limit, offset=page.offset
        )
        return Page(
            items=[Review.model_validate(r, from_attributes=True) for r in rows],
            total=total,
            limit=page.limit,
            offset=page.offset,
        )

    def _held(self, session: Session, award_id: int) -> PointAward:
        award = repository.get_award(session, award_id)
        if award is None:
            raise AwardNotFound(f"No award {award_id}")
        if award.status != "review":
            raise NotUnderReview(f"Award {award_id} is {award.status}, not under review")
        return award

    def approve(self, session: Session, *, award_id: int, admin_id: int) -> Review:
        """Release a held award: its points count from now on, as if awarded on its day."""
        award = self._held(session, award_id)
        award.status = "awarded"
        award.reviewed_at = utcnow()
        award.reviewed_by_id = admin_id
        session.flush()
        award_service.credit(session, award)
        if award.reason == "weekly_reduction":
            profile = award_service.profile(session, award.user_id)
            pct = float(award.detail.get("reduction_pct", 0.0))
            repository.set_score(
                session,
                period="week",
                start=date.fromisoformat(award.detail["week_start"]),
                metric="reduction_pct",
                user_id=award.user_id,
                score=pct,
                visible=profile.leaderboard_opt_in,
            )
            if pct >= 10:
                award_service.badge(session, user_id=award.user_id, key="reduction_10")
        return Review.model_validate(award, from_attributes=True)

    def reject(self, session: Session, *, award_id: int, admin_id: int) -> Review:
        award = self._held(session, award_id)
        award.status = "rejected"
        award.reviewed_at = utcnow()
        award.reviewed_by_id = admin_id
        session.flush()
        return Review.model_validate(award, from_attributes=True)

    # --- consent, erasure, export -----------------------------------------------------------

    def set_leaderboard_visibility(self, session: Session, *, user_id: int, visible: bool) -> None:
        profile = award_service.profile(session, user_id)
        profile.leaderboard_opt_in = visible
        repository.set_visibility(session, user_id=user_id, visible=visible)
        session.flush()
        publish(session, "leaderboard.changed", scope="global", scope_id=None)

    def forget_user(self, session: Session, *, user_id: int) -> dict[str, int]:
        return repository.delete_user_data(session, user_id)

    def export_for_user(self, session: Session, *, user_id: int) -> dict[str, Any]:
        profile = repository.get_profile(session, user_id)
        awards = repository.recent_awards(session, user_id=user_id, limit=1_000_000)
        return {
            "profile": None
            if profile is None
            else {
                "points": profile.points,
                "level": profile.level,
                "streak_days": profile.streak_days,
                "best_streak": profile.best_streak,
                "freezes": profile.freezes,
                "leaderboard_opt_in": profile.leaderboard_opt_in,
            },
            "awards": [Award.model_validate(a).model_dump(mode="json") for a in awards],
            "badges": [
                {"badge": b.badge, "earned_at": b.earned_at.isoformat()}
                for b in repository.badges_of(session, user_id)
            ],
            "challenges": [
                participation_out(p).model_dump(mode="json")
                for p in repository.participations(session, user_id=user_id)
            ],
        }

    # --- periodic settlement and benchmark seeding ------------------------------------------

    def settle_challenges(self, session: Session, *, limit: int = 500) -> int:
        """Settle challenges whose window is over (hourly task); returns how many."""
        n = 0
        for user_id in repository.users_with_active_participations(
            session, ended_before=today(), limit=limit
        ):
            n += challenge_service.settle_ended(session, user_id=user_id)
        return n

    def seed_scores(
        self, session: Session, *, user_ids: list[int], on: date | None = None, seed: int = 0
    ) -> int:
        """Benchmark helper: random points and reduction scores for existing users on every
        board of the period containing `on` (visible on the global board). Rows inserted."""
        rng = random.Random(seed)  # noqa: S311 - benchmark data, not security
        day = on or today()
        starts = {
            "week": week_start(day),
            "month": day.replace(day=1),
            "all": ALL_TIME_START,
        }
        rows: list[dict[str, Any]] = []
        inserted = 0
        for user_id in user_ids:
            week_points = rng.randint(0, 500)
            month_points = week_points + rng.randint(0, 1500)
            all_points = month_points + rng.randint(0, 20_000)
            points = {"week": week_points, "month": month_points, "all": all_points}
            for period, start in starts.items():
                for metric, score in (
                    ("points", float(points[period])),
                    ("reduction_pct", round(rng.uniform(-30.0, 45.0), 1)),
                ):
                    rows.append(
                        {
                            "period": period,
                            "period_start": start,
                            "metric": metric,
                            "user_id": user_id,
                            "score": score,
                            "visible": True,
                        }
                    )
            if len(rows) >= 6000:
                repository.bulk_insert_scores(session, rows)
                inserted += len(rows)
                rows = []
        repository.bulk_insert_scores(session, rows)
        inserted += len(rows)
        session.flush()
        return inserted


gamification_service = GamificationService()


@subscribe("activity.logged")
def _on_activity_logged(
    session: Session,
    *,
    user_id: int,
    activity_id: int,
    activity: str,
    occurred_on: date,
    **_: Any,
) -> None:
    gamification_service.on_activity_logged(
        session,
        user_id=user_id,
        activity_id=activity_id,
        activity=activity,
        occurred_on=occurred_on,
    )


@subscribe("activity.changed")
def _on_activity_changed(session: Session, *, user_id: int, **_: Any) -> None:
    gamification_service.on_activities_changed(session, user_id=user_id)


@subscribe("privacy.consent_changed")
def _on_consent_changed(
    session: Session, *, user_id: int, kind: str, granted: bool, **_: Any
) -> None:
    if kind == LEADERBOARD_CONSENT:
        gamification_service.set_leaderboard_visibility(session, user_id=user_id, visible=granted)


@subscribe("user.erased")
def _on_user_erased(session: Session, *, user_id: int, **_: Any) -> None:
    gamification_service.forget_user(session, user_id=user_id)


@subscribe("privacy.export_requested")
def _on_export_requested(
    session: Session, *, user_id: int, add: Callable[[str, Any], None], **_: Any
) -> None:
    add(
        "gamification/gamification.json",
        gamification_service.export_for_user(session, user_id=user_id),
    )
