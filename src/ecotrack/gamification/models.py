"""Gamification: the points ledger, per-user state, badges, leaderboard scores, challenges.

`point_award` is the ledger: one row per award, unique on (user, reason, ref), so an award is
made at most once per event however often a handler runs. `leaderboard_score` holds one row per
(period, period start, metric, user), maintained in the same transaction as the awards and
indexed for `ORDER BY score DESC, user_id` pages (a backward scan of the board's index; the
tie order on user_id is a small partial sort) and `COUNT(*) WHERE score > :mine` ranks.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ecotrack.core.db import Base, TimestampMixin, UTCDateTime

USER_FK = "user.id"
AWARD_STATUSES_SQL = "'awarded', 'review', 'rejected'"
PARTICIPANT_STATUSES_SQL = "'active', 'completed', 'failed', 'left'"


class GamificationProfile(TimestampMixin, Base):
    """A user's running totals: points, level, streak and freezes, the all-time reference."""

    __tablename__ = "gamification_profile"

    user_id: Mapped[int] = mapped_column(
        ForeignKey(USER_FK, ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    points: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    level: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    streak_days: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    best_streak: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    streak_last_day: Mapped[date | None] = mapped_column(Date, nullable=True)
    freezes: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    freezes_used: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    leaderboard_opt_in: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    baseline_month_kg: Mapped[float | None] = mapped_column(Float, nullable=True)


class PointAward(TimestampMixin, Base):
    """One award. `status` review: held for a platform admin, not counted until approved."""

    __tablename__ = "point_award"
    __table_args__ = (
        UniqueConstraint("user_id", "reason", "ref"),
        CheckConstraint(f"status IN ({AWARD_STATUSES_SQL})", name="status"),
        Index("ix_point_award_user_id_reason_awarded_on", "user_id", "reason", "awarded_on"),
        Index("ix_point_award_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey(USER_FK, ondelete="CASCADE"), nullable=False)
    reason: Mapped[str] = mapped_column(String(32), nullable=False)
    ref: Mapped[str] = mapped_column(String(64), nullable=False)
    points: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="awarded")
    awarded_on: Mapped[date] = mapped_column(Date, nullable=False)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reviewed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey(USER_FK, ondelete="SET NULL"), nullable=True
    )


class UserBadge(Base):
    __tablename__ = "user_badge"
    __table_args__ = (UniqueConstraint("user_id", "badge"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey(USER_FK, ondelete="CASCADE"), nullable=False)
    badge: Mapped[str] = mapped_column(String(32), nullable=False)
    earned_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class LeaderboardScore(Base):
    """A user's score on one board: `period` week|month|all starting `period_start`, by
    `metric` points|reduction_pct. `visible` mirrors the leaderboard consent (global board)."""

    __tablename__ = "leaderboard_score"
    __table_args__ = (Index("ix_leaderboard_score_user_id", "user_id"),)

    period: Mapped[str] = mapped_column(String(8), primary_key=True)
    period_start: Mapped[date] = mapped_column(Date, primary_key=True)
    metric: Mapped[str] = mapped_column(String(16), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey(USER_FK, ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    score: Mapped[float] = mapped_column(Float, nullable=False)
    visible: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


# A page is `ORDER BY score DESC, user_id`: the index holds that order (an all-ascending index
# cannot serve mixed directions; the database would re-sort every tie group of the board).
Index(
    "ix_leaderboard_score_board_desc",
    LeaderboardScore.period,
    LeaderboardScore.period_start,
    LeaderboardScore.metric,
    LeaderboardScore.visible,
    LeaderboardScore.score.desc(),
    LeaderboardScore.user_id,
)


class TeamChallenge(TimestampMixin, Base):
    """A catalogue challenge run by a team of an organisation: its members join together."""

    __tablename__ = "team_challenge"
    __table_args__ = (
        Index("ix_team_challenge_org_id_team_id", "org_id", "team_id"),
        CheckConstraint(f"status IN ({PARTICIPANT_STATUSES_SQL})", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), nullable=False
    )
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), nullable=False)
    challenge_id: Mapped[int] = mapped_column(Integer, nullable=False)
    starts_on: Mapped[date] = mapped_column(Date, nullable=False)
    ends_on: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active")
    progress: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey(USER_FK, ondelete="SET NULL"), nullable=True
    )


class ChallengeParticipant(TimestampMixin, Base):
    """A user in a challenge (alone, or as a member of a team challenge)."""

    __tablename__ = "challenge_participant"
    __table_args__ = (
        Index("ix_challenge_participant_user_id_status", "user_id", "status"),
        CheckConstraint(f"status IN ({PARTICIPANT_STATUSES_SQL})", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey(USER_FK, ondelete="CASCADE"), nullable=False)
    challenge_id: Mapped[int] = mapped_column(Integer, nullable=False)
    team_challenge_id: Mapped[int | None] = mapped_column(
        ForeignKey("team_challenge.id", ondelete="CASCADE"), nullable=True, index=True
    )
    starts_on: Mapped[date] = mapped_column(Date, nullable=False)
    ends_on: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active")
    progress: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
