"""Each action's saving is the difference of two engine estimates over the user's amounts, and
actions the user's data does not make relevant are absent."""

from __future__ import annotations

import pytest

from ecotrack.calc import EstimateRequest, estimate
from ecotrack.recommendations.defaults import default_usage
from ecotrack.recommendations.rules import CATALOGUE, Usage, evaluate

GB = "GB"
CAR = Usage("car", "transportation", "km", 12000, {"fuel": "petrol"})
ELECTRICITY = Usage("electricity", "electricity", "kWh", 3000, co2e_kg=531.0)
GAS = Usage("natural_gas", "heating", "kWh", 12000)
MEAT = Usage("diet", "lifestyle", "person_day", 365.25, {"diet": "medium_meat"})
VEGETARIAN = Usage("diet", "lifestyle", "person_day", 100, {"diet": "vegetarian"})
RESIDUAL = Usage("waste", "waste", "kg", 300, {"type": "household_residual"})
PAPER = Usage("waste", "waste", "kg", 50, {"type": "paper"})
LONG_FLIGHT = Usage(
    "flight", "transportation", "passenger_km", 4000, {"cabin": "average", "haul": "long"}
)
PARIS = Usage(
    "flight",
    "transportation",
    "trip",
    2,
    {"from": "LHR", "to": "CDG", "round_trip": True},
    passenger_km=1390.4,
)
TAXI = Usage("taxi", "transportation", "km", 200, {"type": "regular"})
EVERYTHING = [CAR, ELECTRICITY, GAS, MEAT, VEGETARIAN, RESIDUAL, PAPER, LONG_FLIGHT, PARIS, TAXI]


def r(activity: str, amount: float, unit: str, **options: object) -> EstimateRequest:
    return EstimateRequest(activity, amount, unit, region=GB, options=options)


# Written out by hand from docs/recommendations.md: (current, alternative) pairs per action.
EXPECTED: dict[str, list[tuple[EstimateRequest, EstimateRequest]]] = {
    "car_to_rail": [(r("car", 3000, "km", fuel="petrol"), r("rail", 3000, "km", type="national"))],
    "car_to_bus": [(r("car", 1200, "km", fuel="petrol"), r("bus", 1200, "km", type="average"))],
    "active_travel": [(r("car", 12000, "km", fuel="petrol"), r("car", 11400, "km", fuel="petrol"))],
    "car_sharing": [
        (
            r("car", 3600, "km", fuel="petrol", passengers=1),
            r("car", 3600, "km", fuel="petrol", passengers=2),
        )
    ],
    "car_to_bev": [
        (r("car", 12000, "km", fuel="petrol"), r("car", 12000, "km", fuel="battery_electric"))
    ],
    "eco_driving": [(r("car", 12000, "km", fuel="petrol"), r("car", 10800, "km", fuel="petrol"))],
    "taxi_to_public": [(r("taxi", 200, "km", type="regular"), r("bus", 200, "km"))],
    "short_flights_to_rail": [
        (
            r("flight", 2, "trip", **{"from": "LHR", "to": "CDG", "round_trip": True}),
            r("rail", 1390.4, "passenger_km", type="national"),
        )
    ],
    "fewer_flights": [
        (
            r("flight", 4000, "passenger_km", cabin="average", haul="long"),
            r("flight", 3000, "passenger_km", cabin="average", haul="long"),
        )
    ],
    "green_tariff": [
        (r("electricity", 3000, "kWh"), r("electricity", 3000, "kWh", renewable_share=1.0))
    ],
    "cut_electricity": [(r("electricity", 3000, "kWh"), r("electricity", 2700, "kWh"))],
    "led_lighting": [(r("electricity", 3000, "kWh"), r("electricity", 3000 * 0.925, "kWh"))],
    "lower_heating_1c": [(r("natural_gas", 12000, "kWh"), r("natural_gas", 11160, "kWh"))],
    "heat_pump": [(r("natural_gas", 12000, "kWh"), r("electricity", 12000 * 0.85 / 2.8, "kWh"))],
    "meat_free_days": [
        (
            r("diet", 365.25 * 3 / 7, "person_day", diet="medium_meat"),
            r("diet", 365.25 * 3 / 7, "person_day", diet="vegetarian"),
        )
    ],
    "vegan_days": [
        (
            r("diet", 100 * 3 / 7, "person_day", diet="vegetarian"),
            r("diet", 100 * 3 / 7, "person_day", diet="vegan"),
        )
    ],
    "reduce_waste": [
        (
            r("waste", 300, "kg", type="household_residual"),
            r("waste", 240, "kg", type="household_residual"),
        ),
        (r("waste", 50, "kg", type="paper"), r("waste", 40, "kg", type="paper")),
    ],
    "compost_food_waste": [
        (
            r("waste", 75, "kg", type="food", treatment="landfill"),
            r("waste", 75, "kg", type="food", treatment="composting"),
        )
    ],
    "recycle_materials": [
        (
            r("waste", 50, "kg", type="paper", treatment="landfill"),
            r("waste", 50, "kg", type="paper", treatment="recycling"),
        )
    ],
}


def test_the_catalogue_has_at_least_twelve_actions_and_each_is_tested() -> None:
    ids = [a.id for a in CATALOGUE]
    assert len(ids) == len(set(ids)) >= 12
    assert set(ids) == set(EXPECTED)


@pytest.fixture(scope="module")
def proposals():  # type: ignore[no-untyped-def]
    return {p.action.id: p for p in evaluate(EVERYTHING, region=GB)}


@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_each_saving_is_the_difference_of_two_engine_estimates(proposals, action) -> None:
    proposal = proposals[action]
    expected_terms = EXPECTED[action]
    assert len(proposal.terms) == len(expected_terms)
    expected_total = 0.0
    for term, (current, alternative) in zip(proposal.terms, expected_terms, strict=True):
        now, then = estimate(current), estimate(alternative)
        assert term.comparison.current.amount == pytest.approx(current.amount, rel=1e-12)
        assert term.comparison.alternative.amount == pytest.approx(alternative.amount, rel=1e-12)
        assert term.current.plan.factor.id == now.plan.factor.id
        assert term.alternative.plan.factor.id == then.plan.factor.id
        assert term.saving_kg == pytest.approx(now.co2e_kg - then.co2e_kg, rel=1e-12)
        expected_total += now.co2e_kg - then.co2e_kg
    assert proposal.savings_kg_per_year == pytest.approx(expected_total, rel=1e-12)
    assert proposal.savings_kg_per_year > 0
    # the explanation names both factors and states the subtraction
    text = "\n".join(proposal.explanation)
    for factor_id in proposal.factor_ids:
        assert factor_id in text
    assert "saving:" in text


def test_proposals_are_sorted_by_saving(proposals) -> None:
    savings = [p.savings_kg_per_year for p in evaluate(EVERYTHING, region=GB)]
    assert savings == sorted(savings, reverse=True)


def ids(usage: list[Usage], region: str | None = GB) -> set[str]:
    return {p.action.id for p in evaluate(usage, region=region)}


def test_no_car_means_no_car_actions() -> None:
    assert ids([ELECTRICITY]) == {"green_tariff", "cut_electricity", "led_lighting"}


def test_an_electric_car_gets_neither_an_ev_nor_eco_driving() -> None:
    bev = Usage("car", "transportation", "km", 12000, {"fuel": "battery_electric"})
    got = ids([bev])
    assert "car_to_bev" not in got
    assert "eco_driving" not in got
    assert {"car_to_rail", "car_sharing", "active_travel"} <= got


def test_an_unknown_fuel_gets_no_ev() -> None:
    assert "car_to_bev" not in ids(
        [Usage("car", "transportation", "km", 5000, {"fuel": "unknown"})]
    )


def test_vegans_get_no_diet_action() -> None:
    assert ids([Usage("diet", "lifestyle", "person_day", 365, {"diet": "vegan"})]) == set()


def test_renewable_electricity_gets_no_green_tariff() -> None:
    green = Usage("electricity", "electricity", "kWh", 3000, co2e_kg=0.0)
    assert "green_tariff" not in ids([green])


def test_a_heat_pump_is_absent_where_the_grid_makes_it_worse() -> None:
    # Poland's grid (Ember, ~615 g/kWh): 12,000 kWh of gas emit less than the heat pump's power.
    gas = estimate(EstimateRequest("natural_gas", 12000, "kWh", region="PL")).co2e_kg
    power = estimate(EstimateRequest("electricity", 12000 * 0.85 / 2.8, "kWh", region="PL"))
    assert power.co2e_kg > gas
    assert "heat_pump" not in ids([GAS], region="PL")
    assert "heat_pump" in ids([GAS], region="FR")


def test_gas_in_cubic_metres_uses_the_engine_calorific_value() -> None:
    (proposal,) = [
        p
        for p in evaluate([Usage("natural_gas", "heating", "m**3", 1000)], region=GB)
        if p.action.id == "heat_pump"
    ]
    per_m3 = estimate(EstimateRequest("natural_gas", 1, "m**3", region=GB)).co2e_kg
    per_kwh = estimate(EstimateRequest("natural_gas", 1, "kWh", region=GB)).co2e_kg
    kwh = 1000 * per_m3 / per_kwh
    (term,) = proposal.terms
    assert term.comparison.alternative.amount == pytest.approx(kwh * 0.85 / 2.8, rel=1e-12)


def test_long_flights_are_not_offered_the_train() -> None:
    got = ids([LONG_FLIGHT])
    assert got == {"fewer_flights"}
    assert ids([PARIS]) == {"short_flights_to_rail"}


def test_generic_defaults_assume_no_car_and_no_flights() -> None:
    got = ids(default_usage("GB", None))
    assert got.isdisjoint(
        {"car_to_rail", "car_to_bus", "car_to_bev", "car_sharing", "fewer_flights"}
    )
    assert {"heat_pump", "lower_heating_1c", "meat_free_days", "cut_electricity"} <= got
    (electricity, gas, *_rest) = default_usage("GB", 2)
    assert electricity.amount == 2700 / 2
    assert gas.amount == 11500 / 2
    assert default_usage("US", None)[1].unit == "scf"
