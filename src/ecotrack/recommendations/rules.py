"""The catalogue of reduction actions and the rule engine that prices them for one user.

Every action compares two situations priced by the calculation engine (`ecotrack.calc.estimate`)
over the user's ANNUALISED amounts: what the user does now, and what they would do after the
action. The saving is `current kg - alternative kg`, summed over the user's matching usage rows
(e.g. a petrol and a diesel car). An action applies only when the user's own data contains what
it changes (no electric car for someone who logs no car: Nos Gestes Climat issue #1382) and
when the saving is positive. Assumptions (shares, efficiencies) are named constants with their
source; docs/recommendations.md lists every formula.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ecotrack.calc import CalcError, EstimateRequest, EstimateResult, estimate
from ecotrack.calc.types import fmt_num
from ecotrack.calc.units import try_multiplier

Difficulty = Literal["easy", "medium", "hard"]
CostBand = Literal["free", "low", "medium", "high"]

# --- assumptions (docs/recommendations.md cites each) -------------------------------------------
CAR_TO_RAIL_SHARE = 0.25  # a quarter of car km moved to the train
CAR_TO_BUS_SHARE = 0.10
ACTIVE_TRAVEL_SHARE = 0.05  # short car trips walked or cycled
CAR_SHARING_SHARE = 0.30  # car km driven with one more person on board
ECO_DRIVING_SAVING = 0.10  # fuel saved by eco-driving (ECOWILL: 5-15 % after training)
SHORT_HAUL_TO_RAIL_SHARE = 0.50  # short-haul flight km with a rail alternative
DOMESTIC_TO_RAIL_SHARE = 1.0
RAIL_MAX_LEG_KM = 1000.0  # flights given by airports: a rail alternative up to this distance
FEWER_FLIGHTS_SHARE = 0.25  # one flight in four not taken
ELECTRICITY_CUT = 0.10
LIGHTING_SHARE = 0.10  # share of household electricity used for lighting (EcoTrack assumption)
LED_SAVING = 0.75  # US DOE: LEDs use at least 75 % less energy than incandescent bulbs
HEATING_SAVING_PER_DEGREE = 0.07  # ADEME: 1 °C lower saves about 7 % of heating energy
BOILER_EFFICIENCY = 0.85  # seasonal efficiency of a gas boiler (heat out / gas in)
HEAT_PUMP_SCOP = 2.8  # seasonal performance factor, DESNZ Electrification of Heat trial median
MEAT_FREE_DAYS = 3 / 7  # three days a week
WASTE_CUT = 0.20
FOOD_SHARE_OF_RESIDUAL = 0.25  # EcoTrack assumption (WRAP compositional analyses: ~1/4 to 1/3)

DISTANCE_UNITS = frozenset({"km", "mile", "passenger_km", "passenger_mile"})
FUEL_CARS = frozenset({"petrol", "diesel", "hybrid", "plug_in_hybrid", "lpg", "cng"})
MEAT_DIETS = frozenset({"high_meat", "medium_meat", "low_meat"})
HEATING_FUELS = frozenset({"natural_gas", "heating_oil", "lpg", "coal", "wood_pellets"})
RECYCLABLE = frozenset(
    {
        "paper_and_board",
        "paper",
        "cardboard",
        "plastics",
        "plastic_film",
        "plastic_rigid",
        "hdpe",
        "ldpe",
        "pet",
        "pp",
        "ps",
        "pvc",
        "glass",
        "aluminium_cans",
        "mixed_cans",
        "scrap_metal",
        "steel_cans",
        "books",
        "clothing",
    }
)


@dataclass(frozen=True)
class Usage:
    """One row of the user's usage, annualised: `amount` of `unit` per year."""

    activity: str
    category: str
    unit: str
    amount: float
    options: dict[str, Any] = field(default_factory=dict)
    co2e_kg: float | None = None  # what the user's own entries computed, when known
    passenger_km: float | None = None  # flights: the distance behind `amount`, when known


@dataclass(frozen=True)
class Comparison:
    """Two engine requests: what the user does now and what they would do instead."""

    current: EstimateRequest
    alternative: EstimateRequest


Scenario = Callable[[Usage, str | None], Comparison | None]


@dataclass(frozen=True)
class Action:
    id: str
    category: str
    title: str
    description: str
    action_required: str
    difficulty: Difficulty
    cost: CostBand
    source: str
    activities: frozenset[str]
    scenario: Scenario


@dataclass(frozen=True)
class PricedTerm:
    comparison: Comparison
    current: EstimateResult
    alternative: EstimateResult

    @property
    def saving_kg(self) -> float:
        return self.current.co2e_kg - self.alternative.co2e_kg


@dataclass(frozen=True)
class Proposal:
    """An applicable action with its saving for this user (kg CO2e per year)."""

    action: Action
    savings_kg_per_year: float
    terms: tuple[PricedTerm, ...]

    @property
    def explanation(self) -> list[str]:
        lines = []
        for term in self.terms:
            lines.append(f"now: {_describe(term.comparison.current, term.current)}")
            lines.append(f"instead: {_describe(term.comparison.alternative, term.alternative)}")
            lines.append(
                f"saving: {fmt_num(round(term.current.co2e_kg, 6))} - "
                f"{fmt_num(round(term.alternative.co2e_kg, 6))} = "
                f"{fmt_num(round(term.saving_kg, 6))} kg CO2e/yr"
            )
        if len(self.terms) > 1:
            parts = " + ".join(fmt_num(round(t.saving_kg, 6)) for t in self.terms)
            lines.append(
                f"total: {parts} = {fmt_num(round(self.savings_kg_per_year, 6))} kg CO2e/yr"
            )
        return lines

    @property
    def factor_ids(self) -> list[str]:
        ids: list[str] = []
        for term in self.terms:
            for result in (term.current, term.alternative):
                if result.plan.factor.id not in ids:
                    ids.append(result.plan.factor.id)
        return ids


def _describe(request: EstimateRequest, result: EstimateResult) -> str:
    factor = result.plan.factor
    opts = ", ".join(f"{k}={v}" for k, v in sorted(request.options.items()))
    return (
        f"{request.activity} {fmt_num(round(request.amount, 6))} {request.unit}/yr"
        f"{f' ({opts})' if opts else ''} x factor {factor.id} "
        f"({fmt_num(factor.value)} {factor.unit}/{factor.per_unit}) = "
        f"{fmt_num(round(result.co2e_kg, 6))} kg CO2e"
    )


def _req(
    activity: str, amount: float, unit: str, region: str | None, **options: Any
) -> EstimateRequest:
    return EstimateRequest(activity, amount, unit, region=region, options=options)


def _same(usage: Usage, region: str | None, amount: float, **extra: Any) -> EstimateRequest:
    return _req(usage.activity, amount, usage.unit, region, **{**usage.options, **extra})


def _distance_unit(unit: str) -> str:
    return "mile" if unit in ("mile", "passenger_mile") else "km"


# --- scenarios ------------------------------------------------------------------------------


def _car_to_rail(u: Usage, region: str | None) -> Comparison | None:
    km = u.amount * CAR_TO_RAIL_SHARE
    return Comparison(
        _same(u, region, km),
        _req("rail", km, _distance_unit(u.unit), region, type="national"),
    )


def _car_to_bus(u: Usage, region: str | None) -> Comparison | None:
    km = u.amount * CAR_TO_BUS_SHARE
    return Comparison(
        _same(u, region, km),
        _req("bus", km, _distance_unit(u.unit), region, type="average"),
    )


def _active_travel(u: Usage, region: str | None) -> Comparison | None:
    return Comparison(
        _same(u, region, u.amount), _same(u, region, u.amount * (1 - ACTIVE_TRAVEL_SHARE))
    )


def _car_sharing(u: Usage, region: str | None) -> Comparison | None:
    km = u.amount * CAR_SHARING_SHARE
    return Comparison(_same(u, region, km, passengers=1), _same(u, region, km, passengers=2))


def _car_to_bev(u: Usage, region: str | None) -> Comparison | None:
    if u.options.get("fuel") not in FUEL_CARS:
        return None
    return Comparison(
        _same(u, region, u.amount), _same(u, region, u.amount, fuel="battery_electric")
    )


def _eco_driving(u: Usage, region: str | None) -> Comparison | None:
    if u.activity == "car" and u.options.get("fuel") not in FUEL_CARS:
        return None
    return Comparison(
        _same(u, region, u.amount), _same(u, region, u.amount * (1 - ECO_DRIVING_SAVING))
    )


def _taxi_to_bus(u: Usage, region: str | None) -> Comparison | None:
    return Comparison(_same(u, region, u.amount), _req("bus", u.amount, u.unit, region))


def _rail_candidate(u: Usage) -> float:
    """Share of this flight usage that could go by train: domestic flights all, short-haul
    half, flights given by airports whose leg is at most RAIL_MAX_LEG_KM all; else 0."""
    haul = u.options.get("haul")
    if haul == "domestic":
        return DOMESTIC_TO_RAIL_SHARE
    if haul == "short":
        return SHORT_HAUL_TO_RAIL_SHARE
    if u.options.get("from") and u.options.get("to") and u.passenger_km and u.amount > 0:
        legs = u.amount * (2 if u.options.get("round_trip") else 1)
        if u.passenger_km / legs <= RAIL_MAX_LEG_KM:
            return 1.0
    return 0.0


def _flight_distance(u: Usage) -> float | None:
    if u.unit in DISTANCE_UNITS:
        return u.amount * (try_multiplier(u.unit, "passenger_km") or 1.0)
    return u.passenger_km


def _short_flights_to_rail(u: Usage, region: str | None) -> Comparison | None:
    share = _rail_candidate(u)
    distance = _flight_distance(u)
    if share <= 0 or not distance:
        return None
    return Comparison(
        _same(u, region, u.amount * share),
        _req("rail", distance * share, "passenger_km", region, type="national"),
    )


def _fewer_flights(u: Usage, region: str | None) -> Comparison | None:
    if _rail_candidate(u) > 0:
        return None
    return Comparison(
        _same(u, region, u.amount), _same(u, region, u.amount * (1 - FEWER_FLIGHTS_SHARE))
    )


def _green_tariff(u: Usage, region: str | None) -> Comparison | None:
    if u.co2e_kg is not None and u.co2e_kg <= 0:  # already renewable (or a zero factor)
        return None
    if (u.options.get("renewable_share") or 0) >= 1 or u.options.get(
        "supplier_factor_kg_per_kwh"
    ) is not None:
        return None
    return Comparison(_same(u, region, u.amount), _same(u, region, u.amount, renewable_share=1.0))


def _cut_electricity(u: Usage, region: str | None) -> Comparison | None:
    return Comparison(
        _same(u, region, u.amount), _same(u, region, u.amount * (1 - ELECTRICITY_CUT))
    )


def _led_lighting(u: Usage, region: str | None) -> Comparison | None:
    return Comparison(
        _same(u, region, u.amount),
        _same(u, region, u.amount * (1 - LIGHTING_SHARE * LED_SAVING)),
    )


def _lower_heating(u: Usage, region: str | None) -> Comparison | None:
    return Comparison(
        _same(u, region, u.amount),
        _same(u, region, u.amount * (1 - HEATING_SAVING_PER_DEGREE)),
    )


def gas_kwh(u: Usage, region: str | None) -> float | None:
    """The gas usage in kWh: unit conversion for energy units; for volumes (m**3, scf ...) the
    calorific value implied by the engine's own per-volume and per-kWh factors."""
    factor = try_multiplier(u.unit, "kWh")
    if factor is not None:
        return u.amount * factor
    try:
        per_volume = estimate(_req("natural_gas", 1.0, u.unit, region)).co2e_kg
        per_kwh = estimate(_req("natural_gas", 1.0, "kWh", region)).co2e_kg
    except CalcError:
        return None
    return u.amount * per_volume / per_kwh if per_kwh > 0 else None


def _heat_pump(u: Usage, region: str | None) -> Comparison | None:
    kwh = gas_kwh(u, region)
    if kwh is None:
        return None
    electricity_kwh = kwh * BOILER_EFFICIENCY / HEAT_PUMP_SCOP
    return Comparison(
        _same(u, region, u.amount), _req("electricity", electricity_kwh, "kWh", region)
    )


def _meat_free_days(u: Usage, region: str | None) -> Comparison | None:
    if u.options.get("diet") not in MEAT_DIETS:
        return None
    days = u.amount * MEAT_FREE_DAYS
    return Comparison(_same(u, region, days), _same(u, region, days, diet="vegetarian"))


def _vegan_days(u: Usage, region: str | None) -> Comparison | None:
    if u.options.get("diet") not in ("vegetarian", "pescatarian"):
        return None
    days = u.amount * MEAT_FREE_DAYS
    return Comparison(_same(u, region, days), _same(u, region, days, diet="vegan"))


def _reduce_waste(u: Usage, region: str | None) -> Comparison | None:
    return Comparison(_same(u, region, u.amount), _same(u, region, u.amount * (1 - WASTE_CUT)))


def _waste_type(u: Usage) -> str:
    return str(u.options.get("type") or "household_residual")


def _waste_treatment(u: Usage) -> str:
    return str(u.options.get("treatment") or "landfill")


def _compost_food(u: Usage, region: str | None) -> Comparison | None:
    if _waste_type(u) != "household_residual" or _waste_treatment(u) not in (
        "landfill",
        "combustion",
    ):
        return None
    food = u.amount * FOOD_SHARE_OF_RESIDUAL
    return Comparison(
        _req("waste", food, u.unit, region, type="food", treatment=_waste_treatment(u)),
        _req("waste", food, u.unit, region, type="food", treatment="composting"),
    )


def _recycle(u: Usage, region: str | None) -> Comparison | None:
    kind = _waste_type(u)
    if kind not in RECYCLABLE or _waste_treatment(u) not in ("landfill", "combustion"):
        return None
    return Comparison(
        _req("waste", u.amount, u.unit, region, type=kind, treatment=_waste_treatment(u)),
        _req("waste", u.amount, u.unit, region, type=kind, treatment="recycling"),
    )


# --- the catalogue --------------------------------------------------------------------------

CATALOGUE: tuple[Action, ...] = (
    Action(
        "car_to_rail",
        "transportation",
        "Take the train for a quarter of your car journeys",
        "Trains emit a fraction of a car's CO2e per passenger-km. Moving a quarter of the "
        "distance you drive to rail cuts your travel footprint without giving up the car.",
        "Pick regular car journeys (commute, visits) that have a rail connection and book them "
        "by train.",
        "medium",
        "low",
        "DESNZ 2025 car and national rail factors; 25 % share: EcoTrack assumption",
        frozenset({"car"}),
        _car_to_rail,
    ),
    Action(
        "car_to_bus",
        "transportation",
        "Use the bus for one car trip in ten",
        "A bus shares its emissions among its passengers; short urban trips are often as quick "
        "by bus as by car once parking is counted.",
        "Check the bus routes for your most frequent short car trips and switch one in ten.",
        "easy",
        "low",
        "DESNZ 2025 car and average local bus factors; 10 % share: EcoTrack assumption",
        frozenset({"car"}),
        _car_to_bus,
    ),
    Action(
        "active_travel",
        "transportation",
        "Walk or cycle your shortest car trips",
        "Short trips are the least efficient for a car and the easiest to replace: walking or "
        "cycling them emits nothing.",
        "Leave the car for trips under 3 km (about 5 % of the distance you drive).",
        "easy",
        "free",
        "DESNZ 2025 car factors; 5 % share: EcoTrack assumption",
        frozenset({"car"}),
        _active_travel,
    ),
    Action(
        "car_sharing",
        "transportation",
        "Share your car journeys",
        "With one more person on board, the car's emissions are split between two people.",
        "Car-pool for regular journeys (about 30 % of the distance you drive), e.g. with "
        "colleagues or through a car-sharing service.",
        "easy",
        "free",
        "DESNZ 2025 car factors divided by passengers; 30 % share: EcoTrack assumption",
        frozenset({"car"}),
        _car_sharing,
    ),
    Action(
        "car_to_bev",
        "transportation",
        "Drive a battery-electric car instead",
        "Battery-electric cars emit far less per km than petrol or diesel cars, including the "
        "electricity that charges them.",
        "When you next replace your car, choose a battery-electric model of the same size.",
        "hard",
        "high",
        "DESNZ 2025 car factors by fuel (the BEV row includes the grid electricity)",
        frozenset({"car"}),
        _car_to_bev,
    ),
    Action(
        "eco_driving",
        "transportation",
        "Drive more smoothly",
        "Smooth acceleration, early gear changes, steady speeds and correct tyre pressure cut "
        "fuel use.",
        "Adopt eco-driving habits; keep the tyres inflated and the roof box off when unused.",
        "easy",
        "free",
        "ECOWILL (EU Intelligent Energy Europe) eco-driving results: 5-15 % fuel saved; "
        "EcoTrack assumes 10 %",
        frozenset({"car", "petrol", "diesel"}),
        _eco_driving,
    ),
    Action(
        "taxi_to_public",
        "transportation",
        "Take public transport instead of taxis",
        "A taxi carries one party per trip; a bus carries dozens.",
        "Plan taxi journeys by bus or tram where one runs.",
        "easy",
        "free",
        "DESNZ 2025 taxi and average local bus factors",
        frozenset({"taxi"}),
        _taxi_to_bus,
    ),
    Action(
        "short_flights_to_rail",
        "transportation",
        "Take the train instead of short flights",
        "Short-haul and domestic flights emit many times more per passenger-km than trains.",
        "Replace domestic flights, flights under 1,000 km and half of your other short-haul "
        "flight distance by train.",
        "medium",
        "medium",
        "DESNZ 2025 flight (with radiative forcing) and national rail factors (conservative: "
        "higher than the international rail factor); rail distance taken equal to the flight "
        "distance",
        frozenset({"flight"}),
        _short_flights_to_rail,
    ),
    Action(
        "fewer_flights",
        "transportation",
        "Take one flight in four fewer",
        "Flights are often the largest single item of a personal footprint.",
        "Skip or combine trips, or meet online: fly a quarter less (flights with no rail "
        "alternative).",
        "medium",
        "free",
        "DESNZ 2025 flight factors (with radiative forcing)",
        frozenset({"flight"}),
        _fewer_flights,
    ),
    Action(
        "green_tariff",
        "electricity",
        "Switch to a renewable electricity tariff",
        "A tariff backed by renewable certificates (REGOs, GOs, RECs) lowers your market-based "
        "electricity emissions to about zero. The grid itself does not change: prefer tariffs "
        "that fund new renewable capacity.",
        "Choose a 100 % renewable tariff backed by certificates that meet the GHG Protocol "
        "Scope 2 quality criteria.",
        "easy",
        "low",
        "GHG Protocol Scope 2 Guidance (2015), market-based method",
        frozenset({"electricity"}),
        _green_tariff,
    ),
    Action(
        "cut_electricity",
        "electricity",
        "Cut your home electricity use by 10 %",
        "Standby loads, tumble drying and old appliances waste electricity every day.",
        "Switch devices off at the wall, dry clothes outside, wash at 30 °C and replace the "
        "oldest appliance with an efficient one.",
        "easy",
        "free",
        "Location-based grid factor of your country",
        frozenset({"electricity"}),
        _cut_electricity,
    ),
    Action(
        "led_lighting",
        "electricity",
        "Replace your remaining bulbs with LEDs",
        "LEDs use at least 75 % less energy than incandescent bulbs and last years longer.",
        "Replace halogen and incandescent bulbs with LEDs.",
        "easy",
        "low",
        "US DOE (energy.gov, 'LED Lighting'): >= 75 % less energy; lighting share 10 % of "
        "household electricity: EcoTrack assumption",
        frozenset({"electricity"}),
        _led_lighting,
    ),
    Action(
        "lower_heating_1c",
        "heating",
        "Lower your thermostat by 1 °C",
        "Each degree less saves about 7 % of heating energy.",
        "Set the thermostat 1 °C lower (e.g. 19 °C in living rooms) and heat only the rooms "
        "you use.",
        "easy",
        "free",
        "ADEME (French Agency for Ecological Transition): 1 °C less saves about 7 % of "
        "heating energy",
        HEATING_FUELS,
        _lower_heating,
    ),
    Action(
        "heat_pump",
        "heating",
        "Replace your gas boiler with a heat pump",
        "A heat pump delivers about three units of heat per unit of electricity; on most grids "
        "that emits much less than burning gas.",
        "Get a heat-pump survey; ask about grants for replacing a gas boiler.",
        "hard",
        "high",
        "Heat kept equal: gas kWh x 0.85 (boiler seasonal efficiency) / 2.8 (heat-pump SPF, "
        "DESNZ Electrification of Heat demonstration); grid factor of your country",
        frozenset({"natural_gas"}),
        _heat_pump,
    ),
    Action(
        "meat_free_days",
        "lifestyle",
        "Eat vegetarian three days a week",
        "Meat, especially beef and lamb, dominates the footprint of food.",
        "Plan three vegetarian days a week.",
        "medium",
        "free",
        "Scarborough et al. (2014), Climatic Change 125:179-192, diet groups",
        frozenset({"diet"}),
        _meat_free_days,
    ),
    Action(
        "vegan_days",
        "lifestyle",
        "Eat vegan three days a week",
        "Dairy and eggs still weigh in a vegetarian diet; plant-based days cut that further.",
        "Plan three plant-based days a week.",
        "medium",
        "free",
        "Scarborough et al. (2014), Climatic Change 125:179-192, diet groups",
        frozenset({"diet"}),
        _vegan_days,
    ),
    Action(
        "reduce_waste",
        "waste",
        "Throw away 20 % less",
        "Less packaging, less food waste and repairing things keep waste out of the bin.",
        "Buy loose or in bulk, plan meals, repair and reuse.",
        "medium",
        "free",
        "DESNZ 2025 waste disposal factors; 20 % target: EcoTrack assumption",
        frozenset({"waste"}),
        _reduce_waste,
    ),
    Action(
        "compost_food_waste",
        "waste",
        "Compost your food waste",
        "Food rotting in landfill releases methane; composted it emits very little.",
        "Use your council's food-waste collection or a home composter.",
        "easy",
        "low",
        "DESNZ 2025 food waste landfill/composting factors; food share of residual waste 25 %: "
        "EcoTrack assumption",
        frozenset({"waste"}),
        _compost_food,
    ),
    Action(
        "recycle_materials",
        "waste",
        "Recycle instead of binning",
        "The materials you throw away (paper, plastics, glass, metal) can be recycled.",
        "Sort these materials into the recycling collection.",
        "easy",
        "free",
        "DESNZ 2025 waste disposal factors (landfill/combustion vs recycling)",
        frozenset({"waste"}),
        _recycle,
    ),
)

ACTIONS: dict[str, Action] = {action.id: action for action in CATALOGUE}


def price(comparisons: Iterable[Comparison]) -> list[PricedTerm]:
    """Estimate both sides of each comparison; comparisons the engine cannot price are left
    out (e.g. a waste type without a recycling factor in the user's region)."""
    terms = []
    for comparison in comparisons:
        try:
            current = estimate(comparison.current)
            alternative = estimate(comparison.alternative)
        except CalcError:
            continue
        terms.append(PricedTerm(comparison, current, alternative))
    return terms


def evaluate(usage: Sequence[Usage], *, region: str | None) -> list[Proposal]:
    """Every action that applies to this usage, priced, best saving first."""
    proposals = []
    for action in CATALOGUE:
        comparisons = [
            comparison
            for row in usage
            if row.activity in action.activities and row.amount > 0
            for comparison in [action.scenario(row, region)]
            if comparison is not None
        ]
        terms = [t for t in price(comparisons) if t.saving_kg > 0]
        if not terms:
            continue
        saving = sum(t.saving_kg for t in terms)
        proposals.append(Proposal(action, saving, tuple(terms)))
    proposals.sort(key=lambda p: (-p.savings_kg_per_year, p.action.id))
    return proposals


def priority(savings_kg_per_year: float) -> Literal["high", "medium", "low"]:
    """high from 500 kg CO2e a year, medium from 100 kg, else low."""
    if savings_kg_per_year >= 500:
        return "high"
    if savings_kg_per_year >= 100:
        return "medium"
    return "low"
