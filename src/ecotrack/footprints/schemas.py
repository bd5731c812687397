"""HTTP shapes of the questionnaire and its results."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ecotrack.footprints.questions import (
    CAR_FUELS,
    CAR_SIZES,
    DIETS,
    HEATING_CHOICES,
    HEATING_UNITS,
)

CountryCode = Field(
    default=None,
    min_length=2,
    max_length=2,
    pattern="^[A-Za-z]{2}$",
    description="ISO 3166-1 alpha-2 country of residence; picks the defaults and the comparison",
)

HeatingFuel = Literal[HEATING_CHOICES]  # type: ignore[valid-type]
HeatingUnit = Literal[HEATING_UNITS]  # type: ignore[valid-type]
CarFuel = Literal[CAR_FUELS]  # type: ignore[valid-type]
CarSize = Literal[CAR_SIZES]  # type: ignore[valid-type]
Diet = Literal[DIETS]  # type: ignore[valid-type]


def _num(le: float, *, description: str) -> Any:
    return Field(default=None, ge=0, le=le, allow_inf_nan=False, description=description)


class AnswersIn(BaseModel):
    """The answers given; a field left out (or null) takes the country's default. See
    GET /footprints/questionnaire for the questions, units and defaults."""

    model_config = ConfigDict(extra="forbid")

    household_size: int | None = Field(default=None, ge=1, le=20)
    electricity_kwh_per_year: float | None = _num(1_000_000, description="kWh per household")
    green_electricity_percent: float | None = _num(100, description="0-100 %")
    heating_fuel: HeatingFuel | None = None
    heating_amount_per_year: float | None = _num(10_000_000, description="in `heating_unit`")
    heating_unit: HeatingUnit | None = None
    car_km_per_year: float | None = _num(1_000_000, description="km")
    car_fuel: CarFuel | None = None
    car_size: CarSize | None = None
    car_occupancy: int | None = Field(default=None, ge=1, le=9)
    short_haul_return_flights_per_year: int | None = Field(default=None, ge=0, le=200)
    long_haul_return_flights_per_year: int | None = Field(default=None, ge=0, le=200)
    bus_km_per_week: float | None = _num(20_000, description="km per week")
    rail_km_per_week: float | None = _num(20_000, description="km per week")
    diet: Diet | None = None
    residual_waste_kg_per_week: float | None = _num(1_000, description="kg per household")
    clothing_spend_usd_per_year: float | None = _num(10_000_000, description="USD")
    electronics_spend_usd_per_year: float | None = _num(10_000_000, description="USD")

    def given(self) -> dict[str, Any]:
        """The answers actually given (explicit nulls count as not given)."""
        return {
            k: getattr(self, k)
            for k in sorted(self.model_fields_set)
            if getattr(self, k) is not None
        }


class FootprintIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "country": "GB",
                    "answers": {
                        "household_size": 2,
                        "electricity_kwh_per_year": 2900,
                        "heating_fuel": "natural_gas",
                        "heating_amount_per_year": 12000,
                        "heating_unit": "kWh",
                        "car_km_per_year": 8000,
                        "car_fuel": "petrol",
                        "diet": "low_meat",
                    },
                }
            ]
        },
    )

    country: str | None = CountryCode
    answers: AnswersIn = Field(default_factory=AnswersIn)


class DefaultBasis(BaseModel):
    kind: Literal["published", "proxy", "assumption"]
    source: str


class Question(BaseModel):
    id: str
    text: str
    help: str
    type: Literal["integer", "number", "choice"]
    category: str | None = Field(description="The result category the answer feeds (none: all)")
    allocation: Literal["household", "person"] = Field(
        description="household: divided by the household size; person: yours alone"
    )
    unit: str | None
    units: list[str]
    unit_field: str | None = Field(
        default=None, description="The answer field that names the unit, when several are allowed"
    )
    choices: list[str]
    minimum: float | None
    maximum: float | None
    default: Any
    default_unit: str | None
    default_basis: DefaultBasis


class Questionnaire(BaseModel):
    model: str
    model_version: str
    country: str | None
    categories: list[str]
    questions: list[Question]
    assumptions: list[str]


class Categories(BaseModel):
    electricity: float
    transportation: float
    heating: float
    waste: float
    lifestyle: float
    other: float


class FactorCited(BaseModel):
    id: str
    name: str
    dataset: str
    edition: str
    source_id: str
    value: float
    unit: str
    per_unit: str


class Line(BaseModel):
    key: str
    activity: str
    category: str
    questions: list[str]
    amount: float
    unit: str
    region: str | None
    options: dict[str, Any]
    co2e_kg: float
    factor: FactorCited
    steps: list[str]
    warnings: list[str]


class Target(BaseModel):
    year: int
    per_capita_kg: float
    ratio: float = Field(description="total_kg / the target")


class Comparison(BaseModel):
    country: str
    country_name: str
    average_per_capita_kg: float
    average_year: int
    average_basis: str
    average_source: str
    ratio_to_average: float
    targets: list[Target]
    target_source: str


class Footprint(BaseModel):
    """A questionnaire result: kg CO2e per person per year."""

    id: int | None = Field(description="Set for signed-in users (anonymous results get none)")
    created_at: datetime | None
    model: str
    model_version: str
    country: str | None
    total_kg: float
    categories: Categories
    confidence: float = Field(ge=0, le=1)
    answered: list[str]
    defaulted: dict[str, Any] = Field(description="Question id -> the default value used")
    lines: list[Line]
    explanation: list[str]
    warnings: list[str]
    input: dict[str, Any] = Field(description="The request as given")
    comparison: Comparison


class FootprintSummary(BaseModel):
    id: int
    created_at: datetime
    model: str
    model_version: str
    country: str | None
    total_kg: float
    confidence: float
    categories: Categories
