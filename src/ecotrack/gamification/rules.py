"""Every number of the game in one place (docs/gamification.md explains each).

Pure data and pure functions: no database, no HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

# --- points -----------------------------------------------------------------------------------

LOG_POINTS = 10  # per newly logged activity ...
LOG_DAILY_CAP = 50  # ... at most this many logging points per award day (UTC)
LOG_WINDOW_DAYS = 7  # only activities dated within the last 7 days earn logging points

REDUCTION_MIN_PCT = 5.0  # a settled week must beat the baseline by at least this much
REDUCTION_POINTS_PER_PCT = 5  # points per whole percentage point of reduction ...
REDUCTION_WEEKLY_CAP = 100  # ... capped per week
REDUCTION_REVIEW_PCT = 50.0  # above this a reduction is implausible: held for review
WEEK_MIN_LOGGED_DAYS = 4  # a week counts (as baseline or result) with >= 4 logged days
BASELINE_WEEKS = 4  # baseline: mean of the qualifying weeks among the 4 before
BASELINE_MIN_WEEKS = 2  # ... at least 2 of them must qualify
MONTH_MIN_LOGGED_DAYS = 12
BASELINE_MONTHS = 3
CHALLENGE_REVIEW_PCT = 50.0  # an energy challenge "won" by cutting more than this: review

# --- streaks ----------------------------------------------------------------------------------

FREEZE_EVERY = 7  # one freeze earned per 7 active days of a streak ...
MAX_FREEZES = 2  # ... holding at most 2

# --- levels -----------------------------------------------------------------------------------

LEVEL_THRESHOLDS = (0, 100, 250, 500, 1000, 2000, 3500, 5500, 8000, 12000)


def level_for(points: int) -> tuple[int, int, int | None]:
    """(level, points where it starts, points where the next starts or None at the top)."""
    level = 1
    for i, threshold in enumerate(LEVEL_THRESHOLDS):
        if points >= threshold:
            level = i + 1
    nxt = LEVEL_THRESHOLDS[level] if level < len(LEVEL_THRESHOLDS) else None
    return level, LEVEL_THRESHOLDS[level - 1], nxt


# --- badges -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BadgeDef:
    key: str
    name: str
    description: str


BADGES: dict[str, BadgeDef] = {
    b.key: b
    for b in (
        BadgeDef("first_log", "First step", "Log your first activity."),
        BadgeDef("streak_7", "One week strong", "Reach a 7-day logging streak."),
        BadgeDef("streak_30", "Habit formed", "Reach a 30-day logging streak."),
        BadgeDef(
            "reduction_10",
            "Ten percent",
            "Finish a week at least 10 % below your own baseline (not held for review).",
        ),
        BadgeDef(
            "car_free_week",
            "Car-free week",
            "A completed Monday-Sunday week with at least 4 logged days and at least one trip "
            "logged, none of them by car or taxi.",
        ),
        BadgeDef("challenger", "Challenger", "Complete a challenge."),
        BadgeDef("level_5", "Level 5", "Reach level 5 (1,000 points)."),
    )
}

# --- challenges -------------------------------------------------------------------------------

ChallengeKind = Literal["avoid", "count_trips", "logged_days", "category_cut"]
CAR_ACTIVITIES = frozenset({"car", "taxi"})
MEAT_DIETS = frozenset({"high_meat", "medium_meat", "low_meat", "pescatarian"})
MEAT_FREE_DIETS = frozenset({"vegetarian", "vegan"})


@dataclass(frozen=True)
class ChallengeDef:
    id: int
    slug: str
    name: str
    description: str
    category: str
    duration_days: int
    kind: ChallengeKind
    target: float
    points: int
    params: dict[str, Any] = field(default_factory=dict)


CHALLENGES: dict[int, ChallengeDef] = {
    c.id: c
    for c in (
        ChallengeDef(
            1,
            "car_free_week",
            "Car-free week",
            "Seven days without a car or taxi trip. Log at least 5 of the 7 days; any car or "
            "taxi trip in the window fails the challenge. Settled when the 7 days are over.",
            "transportation",
            7,
            "avoid",
            5,
            50,
            {"forbidden_activities": sorted(CAR_ACTIVITIES)},
        ),
        ChallengeDef(
            2,
            "meat_free_month",
            "Meat-free month",
            "Thirty days of vegetarian or vegan eating: log at least 20 person-days of a "
            "vegetarian or vegan diet; any meat or fish diet entry in the window fails it.",
            "lifestyle",
            30,
            "avoid",
            20,
            150,
            {"diet": True},
        ),
        ChallengeDef(
            3,
            "cut_home_energy_10",
            "Cut home energy 10 %",
            "Over 28 days, emit at least 10 % less from electricity and heating than in the 28 "
            "days before you joined. Settled when the 28 days are over.",
            "electricity",
            28,
            "category_cut",
            10,
            100,
            {"categories": ["electricity", "heating"]},
        ),
        ChallengeDef(
            4,
            "public_transport_week",
            "Public transport week",
            "Take at least 5 bus, coach, rail or ferry trips within 7 days.",
            "transportation",
            7,
            "count_trips",
            5,
            40,
            {"activities": ["bus", "coach", "ferry", "rail"]},
        ),
        ChallengeDef(
            5,
            "daily_logger",
            "Fortnight of logging",
            "Log at least one activity on each of 14 days in a row.",
            "other",
            14,
            "logged_days",
            14,
            60,
        ),
    )
}

# --- periods ----------------------------------------------------------------------------------

Period = Literal["week", "month", "all"]
ALL_TIME_START = date(1970, 1, 1)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def month_start(day: date) -> date:
    return day.replace(day=1)


def previous_month_start(day: date) -> date:
    return month_start(month_start(day) - timedelta(days=1))


def month_end(start: date) -> date:
    nxt = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return nxt - timedelta(days=1)


def period_start(period: Period, day: date) -> date:
    if period == "week":
        return week_start(day)
    if period == "month":
        return month_start(day)
    return ALL_TIME_START


def reduction_pct(baseline: float, value: float) -> float:
    """(baseline − value) / baseline × 100, rounded to 0.1."""
    return round((baseline - value) / baseline * 100.0, 1)


# --- streak replay ----------------------------------------------------------------------------


@dataclass
class StreakState:
    streak: int = 0  # active days in the current run (frozen days keep it, add nothing)
    best: int = 0
    freezes: int = 0
    freezes_used: int = 0
    last_day: date | None = None  # the last day the run covers (active or frozen)


def replay_streak(days: list[date], today: date) -> StreakState:
    """The streak as of `today` from the ascending days with >= 1 activity.

    A day with an activity extends the run; every `FREEZE_EVERY` active days of a run earn a
    freeze (at most `MAX_FREEZES` held). A missed day before today consumes a freeze if one is
    held (the run survives, the count does not grow), else ends the run. Today, not over yet,
    never breaks it. Days after `today` are ignored.
    """
    state = StreakState()
    active = {d for d in days if d <= today}
    if not active:
        return state
    day = min(active)
    run_active = 0
    while day <= today:
        if day in active:
            state.streak += 1
            run_active += 1
            state.best = max(state.best, state.streak)
            state.last_day = day
            if run_active % FREEZE_EVERY == 0 and state.freezes < MAX_FREEZES:
                state.freezes += 1
        elif day < today and state.streak > 0:
            if state.freezes > 0:
                state.freezes -= 1
                state.freezes_used += 1
                state.last_day = day
            else:
                state.streak = 0
                run_active = 0
        day += timedelta(days=1)
    return state
