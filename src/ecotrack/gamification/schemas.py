"""Request and response models of the gamification domain."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

AwardStatus = Literal["awarded", "review", "rejected"]
ParticipationStatus = Literal["active", "completed", "failed", "left"]
Scope = Literal["global", "org", "team"]
PeriodName = Literal["week", "month", "all"]
Metric = Literal["points", "reduction_pct"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Award(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    reason: str = Field(description="log | weekly_reduction | challenge")
    ref: str = Field(description="What the award is for (activity id, ISO week, participation)")
    points: int
    status: AwardStatus
    awarded_on: date
    detail: dict[str, Any]
    created_at: datetime


class Review(Award):
    user_id: int
    reviewed_at: datetime | None
    reviewed_by_id: int | None


class BadgeInfo(BaseModel):
    key: str
    name: str
    description: str


class EarnedBadge(BadgeInfo):
    earned_at: datetime


class GamificationSummary(BaseModel):
    user_id: int
    points: int = Field(description="Awarded points (held and rejected awards excluded)")
    level: int
    level_points: int = Field(description="Points where the current level starts")
    next_level: int | None
    next_level_points: int | None = Field(description="Points where the next level starts")
    points_to_next_level: int | None
    streak_days: int = Field(description="Active days in the current streak")
    best_streak: int
    streak_last_day: date | None
    freezes: int = Field(description="Streak freezes held (one per 7 active days, at most 2)")
    freezes_used: int
    leaderboard_opt_in: bool = Field(description="Shown on the global leaderboard")
    held_points: int = Field(description="Points held for review")
    badges: list[EarnedBadge]
    recent_awards: list[Award]


class LevelRule(BaseModel):
    level: int
    points: int


class Rules(BaseModel):
    log_points: int
    log_daily_cap: int
    log_window_days: int
    reduction_min_pct: float
    reduction_points_per_pct: int
    reduction_weekly_cap: int
    reduction_review_pct: float
    week_min_logged_days: int
    freeze_every_days: int
    max_freezes: int
    levels: list[LevelRule]
    badges: list[BadgeInfo]


class Challenge(BaseModel):
    id: int
    slug: str
    name: str
    description: str
    category: str
    duration_days: int
    target: float
    points: int = Field(description="Points for completing it")


class Participation(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    challenge_id: int
    challenge_name: str
    team_challenge_id: int | None
    starts_on: date
    ends_on: date
    status: ParticipationStatus
    progress: float = Field(ge=0, le=1, description="0 to 1")
    value: float | None = Field(description="The measured quantity (days, trips, % cut)")
    completed_at: datetime | None


class TeamChallengeCreate(Strict):
    challenge_id: int = Field(ge=1, le=1000, description="A catalogue challenge id")


class TeamChallengeMember(BaseModel):
    user_id: int
    status: ParticipationStatus
    progress: float


class TeamChallenge(BaseModel):
    id: int
    org_id: int
    team_id: int
    challenge_id: int
    challenge_name: str
    starts_on: date
    ends_on: date
    status: ParticipationStatus
    progress: float = Field(description="Mean progress of the members still in it")
    completed_at: datetime | None
    members: list[TeamChallengeMember]


class LeaderboardEntry(BaseModel):
    rank: int = Field(description="1 + the number of entries with a higher score")
    user_id: int
    display_name: str
    score: float


class Leaderboard(BaseModel):
    scope: Scope
    scope_id: int | None
    period: PeriodName
    period_start: date
    metric: Metric
    items: list[LeaderboardEntry]
    total: int
    limit: int
    offset: int
    me: LeaderboardEntry | None = Field(description="Your own entry (null: not on this board)")
