"""HTTP shapes of the recommendations domain."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

Status = Literal["open", "implemented", "dismissed"]
StatusFilter = Literal["open", "implemented", "dismissed", "all"]
Basis = Literal["activities", "questionnaire", "country_defaults"]
RankedBy = Literal["rules", "llm"]
LLMStatus = Literal["disabled", "pending", "ok", "failed", "rate_limited"]


class EngineEstimate(BaseModel):
    """One side of a comparison, as the engine priced it."""

    activity: str
    amount: float = Field(description="Per year, in `unit`")
    unit: str
    options: dict[str, Any]
    region: str | None
    factor_id: str
    factor_value: float
    factor_unit: str
    co2e_kg: float


class SavingTerm(BaseModel):
    """`saving_kg = current.co2e_kg - alternative.co2e_kg`."""

    current: EngineEstimate
    alternative: EngineEstimate
    saving_kg: float


class Recommendation(BaseModel):
    id: int
    action: str = Field(description="The catalogue action (stable id, see docs)")
    category: str
    title: str
    description: str
    action_required: str
    savings_kg_per_year: float = Field(
        description="Engine-computed for this user: sum of the terms' savings (kg CO2e/yr)"
    )
    priority: Literal["high", "medium", "low"]
    difficulty: Literal["easy", "medium", "hard"]
    cost: Literal["free", "low", "medium", "high"]
    status: Status
    basis: Basis
    source: str = Field(description="Where the assumptions come from")
    factor_ids: list[str]
    explanation: list[str] = Field(description="The arithmetic, line by line")
    terms: list[SavingTerm]
    implemented_at: datetime | None
    savings_claimed_kg_per_year: float | None = Field(
        description="The saving recorded when the action was marked implemented"
    )
    dismissed_at: datetime | None


class RecommendationList(BaseModel):
    items: list[Recommendation]
    ranked_by: RankedBy = Field(description="rules: by saving; llm: re-ranked and reworded")
    llm_status: LLMStatus = Field(
        description="disabled (no provider), pending (a rewrite is being prepared), ok, failed "
        "or rate_limited (the rules answer meanwhile)"
    )
    basis: Basis = Field(description="What the amounts come from")
    basis_label: str
    period_start: date | None = Field(description="Activities window (basis activities)")
    period_end: date | None
    annualisation_factor: float = Field(
        description="Activities window amounts are multiplied by this to get a year"
    )
    implemented_savings_kg_per_year: float = Field(
        description="Sum of the savings claimed by implemented actions"
    )
