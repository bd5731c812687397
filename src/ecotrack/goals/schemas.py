from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

GoalKind = Literal["annual", "reduction", "category"]
Category = Literal["electricity", "transportation", "heating", "waste", "lifestyle", "other"]
MAX_TARGET_KG = 1_000_000.0  # per year; far above any household
MAX_GOAL_YEARS = 10
EARLIEST = date(2000, 1, 1)


class GoalFields(BaseModel):
    """The goal's definition, checked as a whole (on create, and after merging an update)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    kind: GoalKind
    target_kg_per_year: float | None = Field(
        default=None,
        gt=0,
        le=MAX_TARGET_KG,
        allow_inf_nan=False,
        description="kg CO2e per year; annual and category goals only",
    )
    category: Category | None = Field(default=None, description="Category goals only")
    reduction_percent: float | None = Field(
        default=None,
        gt=0,
        lt=100,
        allow_inf_nan=False,
        description="Reduction goals: % below the baseline's annualised rate",
    )
    baseline_start: date | None = Field(default=None, ge=EARLIEST)
    baseline_end: date | None = Field(default=None, ge=EARLIEST)
    start_on: date = Field(ge=EARLIEST, description="First day of the goal period")
    target_date: date = Field(description="Last day of the goal period")

    @model_validator(mode="after")
    def _check_kind(self) -> Self:
        wanted = {
            "annual": {"target_kg_per_year"},
            "category": {"target_kg_per_year", "category"},
            "reduction": {"reduction_percent", "baseline_start", "baseline_end"},
        }[self.kind]
        optional = {
            "target_kg_per_year",
            "category",
            "reduction_percent",
            "baseline_start",
            "baseline_end",
        }
        missing = sorted(f for f in wanted if getattr(self, f) is None)
        if missing:
            raise ValueError(f"a {self.kind} goal needs {', '.join(missing)}")
        extra = sorted(f for f in optional - wanted if getattr(self, f) is not None)
        if extra:
            raise ValueError(f"a {self.kind} goal does not take {', '.join(extra)}")
        if self.target_date <= self.start_on:
            raise ValueError("target_date must be after start_on")
        if self.target_date > self.start_on + timedelta(days=366 * MAX_GOAL_YEARS):
            raise ValueError(f"the goal period is at most {MAX_GOAL_YEARS} years")
        if self.baseline_start is not None and self.baseline_end is not None:
            if self.baseline_end < self.baseline_start:
                raise ValueError("baseline_end must not be before baseline_start")
            if self.baseline_end >= self.start_on:
                raise ValueError("the baseline period must end before start_on")
            if (self.baseline_end - self.baseline_start).days + 1 < 7:
                raise ValueError("the baseline period is at least 7 days")
            if (self.baseline_end - self.baseline_start).days + 1 > 366 * 3:
                raise ValueError("the baseline period is at most 3 years")
        return self


class GoalCreate(GoalFields):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Under 6 t a year",
                    "kind": "annual",
                    "target_kg_per_year": 6000,
                    "start_on": "2026-01-01",
                    "target_date": "2026-12-31",
                },
                {
                    "name": "Cut 20 % against 2025",
                    "kind": "reduction",
                    "reduction_percent": 20,
                    "baseline_start": "2025-01-01",
                    "baseline_end": "2025-12-31",
                    "start_on": "2026-01-01",
                    "target_date": "2026-12-31",
                },
            ]
        },
    )


class GoalUpdate(BaseModel):
    """Every field optional; the kind cannot change (delete and create instead)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    target_kg_per_year: float | None = Field(
        default=None, gt=0, le=MAX_TARGET_KG, allow_inf_nan=False
    )
    category: Category | None = None
    reduction_percent: float | None = Field(default=None, gt=0, lt=100, allow_inf_nan=False)
    baseline_start: date | None = Field(default=None, ge=EARLIEST)
    baseline_end: date | None = Field(default=None, ge=EARLIEST)
    start_on: date | None = Field(default=None, ge=EARLIEST)
    target_date: date | None = None


class GoalProgress(BaseModel):
    """How the goal stands on `as_of` (see docs/goals-notifications.md for every formula)."""

    as_of: date = Field(description="min(today, target_date), UTC")
    days_elapsed: int = Field(description="Days of the goal period up to as_of (inclusive)")
    total_days: int = Field(description="Days from start_on to target_date (inclusive)")
    emitted_kg: float = Field(description="kg CO2e logged from start_on to as_of")
    pace_kg_per_year: float | None = Field(
        description="emitted_kg / days_elapsed × 365; null before the period starts"
    )
    target_kg_per_year: float = Field(description="The goal's target rate (kg CO2e per year)")
    baseline_kg_per_year: float | None = Field(
        description="Reduction goals: baseline kg / baseline days × 365"
    )
    reduction_achieved_percent: float | None = Field(
        description="Reduction goals: (baseline − pace) / baseline × 100"
    )
    budget_kg: float = Field(description="target_kg_per_year × total_days / 365")
    budget_used_percent: float | None = Field(description="emitted_kg / budget_kg × 100")
    on_track: bool | None = Field(description="pace ≤ target; null before the period starts")
    window_start: date | None = Field(description="The trailing evaluation window's first day")
    window_kg_per_year: float | None = Field(
        description="kg in the trailing window / window days × 365; null until a full window"
    )
    window_active_days: int = Field(description="Days with ≥ 1 logged activity in the window")


class Goal(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: GoalKind
    category: Category | None
    target_kg_per_year: float | None
    reduction_percent: float | None
    baseline_start: date | None
    baseline_end: date | None
    start_on: date
    target_date: date
    is_achieved: bool
    achieved_at: datetime | None
    status: Literal["upcoming", "active", "achieved", "missed"]
    progress: GoalProgress
    created_at: datetime
    updated_at: datetime
