"""HTTP shapes of the estimate, factor and vocabulary endpoints."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, StrictBool

from ecotrack.calc import ACTIVITIES

MAX_BATCH_ITEMS = 10_000


class EstimateIn(BaseModel):
    """One activity to estimate. `options` depend on the activity (see GET /activity-types)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "activity": "electricity",
                    "amount": 3000,
                    "unit": "kWh",
                    "region": "GB",
                    "year": 2024,
                    "source": "desnz",
                },
                {
                    "activity": "flight",
                    "amount": 1,
                    "unit": "trip",
                    "options": {"from": "LHR", "to": "JFK", "cabin": "economy"},
                },
            ]
        },
    )

    activity: str = Field(
        min_length=1,
        max_length=64,
        json_schema_extra={"enum": list[JsonValue](sorted(ACTIVITIES))},
        description="One of the activity types (GET /activity-types)",
    )
    amount: float = Field(
        allow_inf_nan=False,
        json_schema_extra={"minimum": 0, "maximum": 1e15},
        description="Non-negative, finite, at most 1e15",
    )
    unit: str = Field(min_length=1, max_length=64)
    region: str | None = Field(default=None, max_length=32, description="ISO 3166 alpha-2 (or -3)")
    year: int | None = Field(default=None, ge=1900, le=2100)
    source: str | None = Field(default=None, max_length=32, description="desnz, epa, egrid, ember…")
    options: dict[str, Any] = Field(default_factory=dict)


class FactorOut(BaseModel):
    id: str
    name: str
    value: float
    unit: str
    per_unit: str
    source_id: str
    dataset: str | None = None
    edition: str | None = None
    year: int | None = None
    region: str | None = None
    licence: str | None = None
    attribution: str | None = None
    url: str | None = None
    gwp_set: str | None = None
    scope: str | None = None
    reference: str | None = None
    gases: dict[str, float] | None = None
    tags: list[str] | None = None


class RangeOut(BaseModel):
    low: float
    high: float
    basis: str | None = None


class StepOut(BaseModel):
    text: str
    value: float | None = None
    unit: str | None = None


class EstimateOut(BaseModel):
    activity: str
    co2e_kg: float
    gases: dict[str, float] = Field(description="kg CO2e per gas where the source splits them")
    range: RangeOut
    factor: FactorOut
    components: list[FactorOut] = Field(description="Further factors the result adds")
    amount: float
    unit: str
    amount_normalised: float
    unit_normalised: str
    region: str | None
    year: int | None
    source: str | None
    explanation: list[StepOut]
    warnings: list[str]
    metrics: dict[str, float] = Field(description="Other quantities, e.g. energy_kwh, water_l")
    methodology: str


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[Any] = Field(
        min_length=1,
        max_length=MAX_BATCH_ITEMS,
        description=f"At most {MAX_BATCH_ITEMS} items shaped like EstimateIn; each is "
        "validated on its own and answered in order, with per-item errors.",
    )
    explain: StrictBool = Field(
        default=False, description="Return the full result (factor, explanation) for every item"
    )


class ItemError(BaseModel):
    code: str
    detail: str
    errors: list[dict[str, Any]] = Field(default_factory=list)


class BatchItemOut(BaseModel):
    index: int
    ok: bool
    co2e_kg: float | None = None
    low: float | None = None
    high: float | None = None
    factor_id: str | None = None
    warnings: list[str] | None = None
    result: EstimateOut | None = None
    error: ItemError | None = None


class BatchOut(BaseModel):
    count: int
    succeeded: int
    failed: int
    total_co2e_kg: float = Field(description="Sum over the items that succeeded")
    results: list[BatchItemOut]


class OptionOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str
    type: str
    description: str
    default: Any = None


class ActivityTypeOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str
    category: str
    description: str
    units: list[str]
    options: list[OptionOut]
    sources: list[str]
    default_source: dict[str, str]
    methodology: str


class SourceOut(BaseModel):
    id: str
    dataset: str
    name: str
    publisher: str
    edition: str
    year: int | None
    licence: str
    attribution: str
    url: str
    gwp_set: str | None
    notes: str


SearchScope = Literal["Scope 1", "Scope 2", "Scope 3", "Outside of Scopes"]
