"""Answers -> kg CO2e per person per year. Every kg comes from `ecotrack.calc.estimate`.

Per line (see docs/footprints.md for the table):

    amount      = answer (or default) x time factor (52 weeks, 2 ways ...)
    amount_pp   = amount / household_size        for household answers (energy, waste)
    co2e_kg     = estimate(activity, amount_pp, unit, region=country, options).co2e_kg

and each category is the sum of its lines. Confidence blends the impact-weighted and the plain
share of questions answered (formula in `confidence()`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ecotrack.calc import CalcError, EstimateRequest, EstimateResult, estimate, get_activity
from ecotrack.footprints import questions as q
from ecotrack.footprints.comparison import compare


class AnswerRejected(Exception):
    """The engine refused an input (e.g. a unit the chosen fuel is not sold in)."""

    def __init__(self, field: str, calc_error: CalcError) -> None:
        super().__init__(calc_error.detail)
        self.field = field
        self.calc_error = calc_error


@dataclass(frozen=True, slots=True)
class LinePlan:
    key: str
    activity: str
    amount: float
    unit: str
    options: dict[str, Any]
    questions: tuple[str, ...]  # the questions that drive it (for confidence)
    primary: str  # where an engine error is reported
    allocation_step: str | None = None


@dataclass
class Assessment:
    country: str | None
    values: dict[str, Any]  # every question's value (answer or default)
    answered: list[str]
    defaulted: dict[str, Any]
    lines: list[dict[str, Any]] = field(default_factory=list)
    categories: dict[str, float] = field(default_factory=dict)
    total_kg: float = 0.0
    confidence: float = 0.0
    warnings: list[str] = field(default_factory=list)
    explanation: list[str] = field(default_factory=list)
    comparison: dict[str, Any] = field(default_factory=dict)


def resolve(given: dict[str, Any], country: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """(all values, the defaults used) for `given` answers."""
    values: dict[str, Any] = {}
    defaulted: dict[str, Any] = {}
    for question in q.QUESTIONS:
        if question.id in given:
            values[question.id] = given[question.id]
        else:
            values[question.id] = defaulted[question.id] = question.default_for(country).value
    # The unit goes with the amount: a defaulted amount keeps its default unit.
    if "heating_amount_per_year" in given:
        values[q.HEATING_UNIT_FIELD] = given.get(
            q.HEATING_UNIT_FIELD, q.BY_ID["heating_amount_per_year"].unit
        )
    else:
        values[q.HEATING_UNIT_FIELD] = q.heating_unit_default(country)
    return values, defaulted


def plan_lines(values: dict[str, Any]) -> list[LinePlan]:
    """The engine requests the answers make (lines of zero amount are left out)."""
    people = values["household_size"]
    per_person = f"÷ {people:g} people in the household" if people != 1 else None
    plans: list[LinePlan] = []

    def add(plan: LinePlan) -> None:
        if plan.amount > 0:
            plans.append(plan)

    share = values["green_electricity_percent"]
    add(
        LinePlan(
            key="electricity",
            activity="electricity",
            amount=values["electricity_kwh_per_year"] / people,
            unit="kWh",
            options={"renewable_share": share / 100} if share else {},
            questions=("household_size", "electricity_kwh_per_year", "green_electricity_percent"),
            primary="electricity_kwh_per_year",
            allocation_step=per_person,
        )
    )
    fuel = values["heating_fuel"]
    if fuel in q.HEATING_FUELS:
        add(
            LinePlan(
                key="heating",
                activity=fuel,
                amount=values["heating_amount_per_year"] / people,
                unit=values[q.HEATING_UNIT_FIELD],
                options={},
                questions=("household_size", "heating_fuel", "heating_amount_per_year"),
                primary=q.HEATING_UNIT_FIELD,
                allocation_step=per_person,
            )
        )
    add(
        LinePlan(
            key="car",
            activity="car",
            amount=values["car_km_per_year"],
            unit="km",
            options={
                "fuel": values["car_fuel"],
                "size": values["car_size"],
                "passengers": values["car_occupancy"],
            },
            questions=("car_km_per_year", "car_fuel", "car_size", "car_occupancy"),
            primary="car_fuel",
        )
    )
    for key, question_id, km, haul in (
        ("flights_short", "short_haul_return_flights_per_year", q.SHORT_HAUL_KM, "short"),
        ("flights_long", "long_haul_return_flights_per_year", q.LONG_HAUL_KM, "long"),
    ):
        add(
            LinePlan(
                key=key,
                activity="flight",
                amount=values[question_id] * km,
                unit="passenger_km",
                options={"haul": haul, "round_trip": True},
                questions=(question_id,),
                primary=question_id,
            )
        )
    for key, question_id, activity, options in (
        ("bus", "bus_km_per_week", "bus", {}),
        ("rail", "rail_km_per_week", "rail", {"type": "national"}),
    ):
        add(
            LinePlan(
                key=key,
                activity=activity,
                amount=values[question_id] * q.WEEKS_PER_YEAR,
                unit="km",
                options=options,
                questions=(question_id,),
                primary=question_id,
            )
        )
    add(
        LinePlan(
            key="diet",
            activity="diet",
            amount=1.0,
            unit="person_year",
            options={"diet": values["diet"]},
            questions=("diet",),
            primary="diet",
        )
    )
    add(
        LinePlan(
            key="waste",
            activity="waste",
            amount=values["residual_waste_kg_per_week"] * q.WEEKS_PER_YEAR / people,
            unit="kg",
            options={"type": "household_residual"},
            questions=("household_size", "residual_waste_kg_per_week"),
            primary="residual_waste_kg_per_week",
            allocation_step=per_person,
        )
    )
    for key, question_id, sector in (
        ("clothing", "clothing_spend_usd_per_year", q.CLOTHING_SECTOR),
        ("electronics", "electronics_spend_usd_per_year", q.ELECTRONICS_SECTOR),
    ):
        add(
            LinePlan(
                key=key,
                activity="spend",
                amount=values[question_id],
                unit="USD",
                options={"sector": sector},
                questions=(question_id,),
                primary=question_id,
            )
        )
    return plans


def not_applicable(values: dict[str, Any], answered: set[str]) -> set[str]:
    """Questions an answer made irrelevant (no car: its fuel does not matter); they count as
    answered."""
    out: set[str] = set()
    if "car_km_per_year" in answered and values["car_km_per_year"] == 0:
        out |= {"car_fuel", "car_size", "car_occupancy"}
    if "heating_fuel" in answered and values["heating_fuel"] not in q.HEATING_FUELS:
        out.add("heating_amount_per_year")
    return out


def confidence(lines: list[tuple[LinePlan, float]], answered: set[str]) -> float:
    """confidence = ½ × impact share + ½ × coverage share, where

    impact share   = Σ_answered w_q / Σ_all w_q,  w_q = Σ over the lines q drives of
                     kg(line) / (number of questions driving that line)
    coverage share = answered questions / all questions

    (a question an earlier answer made irrelevant counts as answered). With no kg at all the
    impact share equals the coverage share. The coverage half keeps a question whose default
    is "not counted" (zero kg) from being weightless while unanswered.
    """
    ids = [question.id for question in q.QUESTIONS]
    weights = dict.fromkeys(ids, 0.0)
    for plan, kg in lines:
        for question_id in plan.questions:
            weights[question_id] += kg / len(plan.questions)
    total = sum(weights.values())
    coverage = sum(1 for i in ids if i in answered) / len(ids)
    impact = sum(w for i, w in weights.items() if i in answered) / total if total > 0 else coverage
    return min(1.0, max(0.0, 0.5 * impact + 0.5 * coverage))


def _run(plan: LinePlan, country: str | None) -> EstimateResult:
    try:
        return estimate(
            EstimateRequest(
                plan.activity, plan.amount, plan.unit, region=country, options=plan.options
            )
        )
    except CalcError as exc:
        raise AnswerRejected(plan.primary, exc) from exc


def _line(plan: LinePlan, result: EstimateResult, country: str | None) -> dict[str, Any]:
    factor = result.factor
    steps = [plan.allocation_step] if plan.allocation_step else []
    steps += [s.text for s in result.explanation]
    return {
        "key": plan.key,
        "activity": plan.activity,
        "category": get_activity(plan.activity).category,
        "questions": list(plan.questions),
        "amount": plan.amount,
        "unit": plan.unit,
        "region": country,
        "options": dict(plan.options),
        "co2e_kg": result.co2e_kg,
        "factor": {
            "id": factor.id,
            "name": factor.name,
            "dataset": factor.dataset,
            "edition": factor.edition,
            "source_id": factor.source_id,
            "value": factor.value,
            "unit": factor.unit,
            "per_unit": factor.per_unit,
        },
        "steps": steps,
        "warnings": list(result.warnings),
    }


def assess(given: dict[str, Any], country: str | None) -> Assessment:
    """Estimate a household questionnaire for one person. Raises `AnswerRejected`."""
    values, defaulted = resolve(given, country)
    answered = {k for k in given if k in q.BY_ID}
    answered |= not_applicable(values, answered)
    out = Assessment(
        country=country,
        values=values,
        answered=sorted(answered),
        defaulted={k: v for k, v in defaulted.items() if k not in answered},
    )
    out.categories = dict.fromkeys(q.CATEGORIES, 0.0)
    computed: list[tuple[LinePlan, float]] = []
    for plan in plan_lines(values):
        result = _run(plan, country)
        line = _line(plan, result, country)
        out.lines.append(line)
        out.categories[line["category"]] += result.co2e_kg
        computed.append((plan, result.co2e_kg))
        out.explanation.append(
            f"{plan.key}: {result.co2e_kg:.1f} kg CO2e from {plan.amount:g} {plan.unit} of "
            f"{plan.activity} (factor {result.factor.id}, {result.factor.dataset} "
            f"{result.factor.edition})"
        )
        out.warnings += [f"{plan.key}: {w}" for w in result.warnings]
    out.total_kg = sum(out.categories.values())
    out.confidence = confidence(computed, answered)
    out.comparison, comparison_warnings = compare(out.total_kg, country)
    out.warnings += comparison_warnings
    return out
