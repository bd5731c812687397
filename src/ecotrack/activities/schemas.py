"""HTTP shapes of the activities domain, and `ActivityUsage` (the usage contract other domains
read through `activities_service.usage`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from ecotrack.calc import ACTIVITIES

CATEGORIES: tuple[str, ...] = (
    "electricity",
    "transportation",
    "heating",
    "waste",
    "lifestyle",
    "other",
)
Category = Literal["electricity", "transportation", "heating", "waste", "lifestyle", "other"]
Granularity = Literal["day", "week", "month"]
ImportMode = Literal["all_or_nothing", "valid_only"]


@dataclass(frozen=True)
class ActivityUsage:
    """How much of one activity a user logged in a period, grouped by (activity, normalised unit,
    main option): `amount` is in the engine's normalised unit (`unit`), `options` holds the main
    option with its effective value (e.g. `{"fuel": "petrol"}`), empty when the activity has
    none."""

    activity: str
    category: str
    unit: str
    amount: float
    co2e_kg: float
    count: int
    options: dict[str, Any] = field(default_factory=dict)


# --- activities --------------------------------------------------------------------------------


class ActivityCreate(BaseModel):
    """One activity to log. `options` depend on the activity (GET /api/v1/activity-types)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "activity": "car",
                    "amount": 500,
                    "unit": "km",
                    "occurred_on": "2026-11-28",
                    "options": {"fuel": "petrol"},
                    "note": "Trip to the coast",
                }
            ]
        },
    )

    activity: str = Field(
        min_length=1,
        max_length=64,
        json_schema_extra={"enum": list[JsonValue](sorted(ACTIVITIES))},
        description="One of the activity types (GET /api/v1/activity-types)",
    )
    amount: float = Field(
        allow_inf_nan=False, json_schema_extra={"minimum": 0}, description="Non-negative, finite"
    )
    unit: str = Field(min_length=1, max_length=64)
    occurred_on: date = Field(description="The day it happened (not after tomorrow, UTC)")
    region: str | None = Field(
        default=None,
        max_length=32,
        description="ISO 3166 alpha-2; defaults to the country of your profile",
    )
    year: int | None = Field(default=None, ge=1900, le=2100, description="Factor year / edition")
    source: str | None = Field(default=None, max_length=32, description="desnz, epa, egrid …")
    options: dict[str, Any] = Field(default_factory=dict)
    note: str | None = Field(default=None, max_length=500)


class ActivityUpdate(BaseModel):
    """Fields to change; the activity is recomputed and its previous value kept as a revision."""

    model_config = ConfigDict(extra="forbid")

    activity: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        json_schema_extra={"enum": list[JsonValue](sorted(ACTIVITIES))},
    )
    amount: float | None = Field(
        default=None, allow_inf_nan=False, json_schema_extra={"minimum": 0}
    )
    unit: str | None = Field(default=None, min_length=1, max_length=64)
    occurred_on: date | None = None
    region: str | None = Field(default=None, max_length=32)
    year: int | None = Field(default=None, ge=1900, le=2100)
    source: str | None = Field(default=None, max_length=32)
    options: dict[str, Any] | None = None
    note: str | None = Field(default=None, max_length=500)


class FactorCited(BaseModel):
    """The factor an activity's result used, with its provenance."""

    id: str
    name: str
    value: float
    unit: str
    per_unit: str
    dataset: str
    edition: str
    year: int | None = None
    region: str | None = None
    licence: str | None = None
    url: str | None = None


class StepOut(BaseModel):
    text: str
    value: float | None = None
    unit: str | None = None


class RangeOut(BaseModel):
    low: float
    high: float
    basis: str | None = None


class PreviousValue(BaseModel):
    """What the activity was worth before its latest recomputation (edit or recalc)."""

    co2e_kg: float
    factor_id: str
    edition: str | None = None


class Activity(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    activity: str
    category: Category
    amount: float
    unit: str
    amount_normalised: float
    unit_normalised: str
    occurred_on: date
    region: str | None
    year: int | None
    source: str | None
    options: dict[str, Any]
    note: str | None
    co2e_kg: float
    range: RangeOut
    gases: dict[str, float] = Field(description="kg CO2e per gas where the source splits them")
    factor: FactorCited
    dataset: str
    edition: str
    methodology: str
    explanation: list[StepOut]
    warnings: list[str]
    previous: PreviousValue | None = None
    calculated_at: datetime
    created_at: datetime
    updated_at: datetime


# --- import ------------------------------------------------------------------------------------


class RowError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ImportRowErrors(BaseModel):
    row: int = Field(description="1-based data row of the CSV (the header row is not counted)")
    errors: list[RowError]


class ImportResult(BaseModel):
    mode: ImportMode
    rows: int = Field(description="Data rows read")
    imported: int
    failed: int
    total_co2e_kg: float = Field(description="Sum over the imported rows")
    activity_ids: list[int]
    errors: list[ImportRowErrors]


# --- analytics ---------------------------------------------------------------------------------


class PeriodSummary(BaseModel):
    start: date
    end: date = Field(description="Inclusive; the reference day (today unless `on` is given)")
    total_kg: float
    by_category: dict[str, float]
    count: int
    previous_start: date
    previous_end: date
    previous_kg: float = Field(
        description="The same number of days at the start of the previous period (like for like)"
    )
    change_pct: float | None = Field(
        description="(total - previous) / previous x 100; null when the previous period is 0"
    )
    trend: Literal["up", "down", "flat", "new"]


class Summary(BaseModel):
    on: date
    week: PeriodSummary
    month: PeriodSummary
    year: PeriodSummary


class HistoryPoint(BaseModel):
    start: date
    end: date
    total_kg: float
    count: int
    by_category: dict[str, float]


class History(BaseModel):
    granularity: Granularity
    start: date
    end: date
    total_kg: float
    points: list[HistoryPoint]


class Stats(BaseModel):
    count: int = Field(description="Activities logged")
    days: int = Field(description="Days with at least one activity")
    total_kg: float
    average_kg: float | None = Field(description="Mean kg CO2e per activity")
    average_per_day_kg: float | None = Field(description="Mean kg CO2e per day with activities")
    min_kg: float | None = Field(description="Smallest single activity")
    max_kg: float | None = Field(description="Largest single activity")
    first_on: date | None = Field(description="Day of the earliest activity")
    latest_on: date | None = Field(description="Day of the latest activity")
    first_calculated_at: datetime | None = Field(description="Earliest calculation still held")
    latest_calculated_at: datetime | None = Field(description="Most recent calculation")
    by_category: dict[str, float]


class RecalcStatus(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    status: str
    total: int
    processed: int
    changed: int
    failed: int
    last_activity_id: int
    error: str | None
    created_at: datetime
    finished_at: datetime | None
