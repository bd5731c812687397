"""The household questionnaire: its questions, and each question's default by country.

Every default says where it comes from (`Basis.kind`): `published` (a cited national figure),
`proxy` (a published figure of another country, used because none was sourced for this one) or
`assumption` (an EcoTrack convention, stated so it can be challenged). Amounts nobody has sourced
default to zero ("not counted unless answered") rather than to an invented number.
See docs/footprints.md for the full table and the formulas.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

MODEL = "ecotrack-household"
MODEL_VERSION = "1.0.0"

CATEGORIES = ("electricity", "transportation", "heating", "waste", "lifestyle", "other")

# Flight distances per one-way flight (EcoTrack assumptions, inside DESNZ's bands: short-haul
# <= 3,700 km, long-haul > 3,700 km). A return flight counts both ways.
SHORT_HAUL_KM = 1500.0
LONG_HAUL_KM = 7000.0
WEEKS_PER_YEAR = 52
# USEEIO v1.3 sectors (2017 NAICS-6) used for the two spending questions.
CLOTHING_SECTOR = "315210"  # Cut and Sew Apparel Contractors
ELECTRONICS_SECTOR = "334111"  # Electronic Computer Manufacturing

HEATING_FUELS = ("natural_gas", "heating_oil", "lpg", "coal", "wood_pellets")
HEATING_CHOICES = (*HEATING_FUELS, "electricity", "none")
HEATING_UNITS = ("kWh", "MWh", "therm", "MMBtu", "m**3", "Mcf", "L", "gallon", "kg", "tonne")
CAR_FUELS = (
    "petrol",
    "diesel",
    "hybrid",
    "plug_in_hybrid",
    "battery_electric",
    "lpg",
    "cng",
    "unknown",
)
CAR_SIZES = ("small", "medium", "large", "average")
DIETS = ("high_meat", "medium_meat", "low_meat", "pescatarian", "vegetarian", "vegan")

BasisKind = Literal["published", "proxy", "assumption"]


@dataclass(frozen=True, slots=True)
class Basis:
    kind: BasisKind
    source: str


@dataclass(frozen=True, slots=True)
class Default:
    value: Any
    basis: Basis
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class Question:
    """One question. `line` names the estimate it drives; `allocation` says whether the answer is
    for the whole household (divided by the household size) or for the respondent alone."""

    id: str
    text: str
    help: str
    type: Literal["integer", "number", "choice"]
    category: str | None
    line: str
    allocation: Literal["household", "person"]
    default: Default
    unit: str | None = None
    units: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    by_country: dict[str, Default] = field(default_factory=dict)

    def default_for(self, country: str | None) -> Default:
        return self.by_country.get(country or "", self.default)


# --- sources of the national defaults ---------------------------------------------------------

OFGEM = (
    "Ofgem, Typical Domestic Consumption Values in force from 1 October 2023 "
    "(https://www.ofgem.gov.uk/average-gas-and-electricity-usage)"
)
GB_ELECTRICITY = Basis("published", f"{OFGEM}: 2,700 kWh of electricity per household per year")
GB_GAS = Basis("published", f"{OFGEM}: 11,500 kWh of gas per household per year")
US_ELECTRICITY = Basis(
    "published",
    "U.S. EIA, FAQ 'How much electricity does an American home use?' (updated 7 October 2021): "
    "10,715 kWh per residential customer in 2020",
)
US_GAS = Basis(
    "published",
    "U.S. EPA, 'Assumptions and References for Household Carbon Footprint Calculator' (2017 "
    "snapshot): 5,500 cubic feet of natural gas per household per month = 66 Mcf per year",
)
GB_HOUSEHOLD = Basis(
    "published",
    "ONS Families and households, as reported by Full Fact (2018): on average 2.4 people per UK "
    "household, every year since 1996",
)
PROXY_GB_ELECTRICITY = Basis(
    "proxy", "no national figure sourced: the GB typical value (Ofgem TDCV 2023) is used"
)
PROXY_GB_GAS = Basis(
    "proxy", "no national figure sourced: GB gas heating at the Ofgem TDCV (2023) is used"
)
PROXY_GB_HOUSEHOLD = Basis(
    "proxy", "no national figure sourced: the UK average (2.4 people, ONS) is used"
)
NOT_COUNTED = Basis("assumption", "not counted unless answered (no national figure sourced)")
ENGINE_DEFAULT = Basis("assumption", "the calculation engine's own default for this option")


def _gb_us(gb: Default, us: Default) -> dict[str, Default]:
    return {"GB": gb, "US": us}


QUESTIONS: tuple[Question, ...] = (
    Question(
        id="household_size",
        text="How many people live in your home, you included?",
        help="Home energy and waste are shared: they are divided by this number.",
        type="integer",
        category=None,
        line="household",
        allocation="person",
        minimum=1,
        maximum=20,
        default=Default(2.4, PROXY_GB_HOUSEHOLD),
        by_country={"GB": Default(2.4, GB_HOUSEHOLD)},
    ),
    Question(
        id="electricity_kwh_per_year",
        text="How much electricity does your home use in a year?",
        help="From your bills or meter (kWh). Include electric heating and car charging at home.",
        type="number",
        category="electricity",
        line="electricity",
        allocation="household",
        unit="kWh",
        units=("kWh",),
        minimum=0,
        maximum=1_000_000,
        default=Default(2700, PROXY_GB_ELECTRICITY, "kWh"),
        by_country=_gb_us(
            Default(2700, GB_ELECTRICITY, "kWh"), Default(10715, US_ELECTRICITY, "kWh")
        ),
    ),
    Question(
        id="green_electricity_percent",
        text="What share of that electricity comes from a certified renewable tariff?",
        help="0-100 %. Counts only if backed by certificates (REGO, GO, REC); scales the grid "
        "factor by (1 - share).",
        type="number",
        category="electricity",
        line="electricity",
        allocation="household",
        unit="%",
        units=("%",),
        minimum=0,
        maximum=100,
        default=Default(
            0, Basis("assumption", "location-based grid average (GHG Protocol Scope 2)"), "%"
        ),
    ),
    Question(
        id="heating_fuel",
        text="What heats your home?",
        help="Choose 'electricity' for electric heaters and heat pumps (already in your "
        "electricity use) and 'none' when heating is included elsewhere.",
        type="choice",
        category="heating",
        line="heating",
        allocation="household",
        choices=HEATING_CHOICES,
        default=Default("natural_gas", PROXY_GB_GAS),
        by_country=_gb_us(Default("natural_gas", GB_GAS), Default("natural_gas", US_GAS)),
    ),
    Question(
        id="heating_amount_per_year",
        text="How much of that fuel does your home use in a year?",
        help="From your bills; give the unit in `heating_unit` (kWh, m**3, L, kg ...).",
        type="number",
        category="heating",
        line="heating",
        allocation="household",
        unit="kWh",
        units=HEATING_UNITS,
        minimum=0,
        maximum=10_000_000,
        default=Default(11500, PROXY_GB_GAS, "kWh"),
        by_country=_gb_us(Default(11500, GB_GAS, "kWh"), Default(66, US_GAS, "Mcf")),
    ),
    Question(
        id="car_km_per_year",
        text="How many kilometres do you travel by car in a year?",
        help="Vehicle distance of the trips you make (as driver or passenger).",
        type="number",
        category="transportation",
        line="car",
        allocation="person",
        unit="km",
        units=("km",),
        minimum=0,
        maximum=1_000_000,
        default=Default(0, NOT_COUNTED, "km"),
    ),
    Question(
        id="car_fuel",
        text="What does the car run on?",
        help="'unknown' uses DESNZ's average car of unknown fuel.",
        type="choice",
        category="transportation",
        line="car",
        allocation="person",
        choices=CAR_FUELS,
        default=Default("unknown", ENGINE_DEFAULT),
    ),
    Question(
        id="car_size",
        text="How big is the car?",
        help="DESNZ size classes; 'average' when unsure.",
        type="choice",
        category="transportation",
        line="car",
        allocation="person",
        choices=CAR_SIZES,
        default=Default("average", ENGINE_DEFAULT),
    ),
    Question(
        id="car_occupancy",
        text="How many people are usually in the car, you included?",
        help="The car's emissions are shared between its occupants.",
        type="integer",
        category="transportation",
        line="car",
        allocation="person",
        minimum=1,
        maximum=9,
        default=Default(1, ENGINE_DEFAULT),
    ),
    Question(
        id="short_haul_return_flights_per_year",
        text="How many short-haul return flights (under about 4 hours) do you take a year?",
        help=f"Each counts as 2 x {SHORT_HAUL_KM:,.0f} km at DESNZ short-haul factors "
        "(average passenger, with radiative forcing).",
        type="integer",
        category="transportation",
        line="flights_short",
        allocation="person",
        minimum=0,
        maximum=200,
        default=Default(0, NOT_COUNTED),
    ),
    Question(
        id="long_haul_return_flights_per_year",
        text="How many long-haul return flights do you take a year?",
        help=f"Each counts as 2 x {LONG_HAUL_KM:,.0f} km at DESNZ long-haul factors "
        "(average passenger, with radiative forcing).",
        type="integer",
        category="transportation",
        line="flights_long",
        allocation="person",
        minimum=0,
        maximum=200,
        default=Default(0, NOT_COUNTED),
    ),
    Question(
        id="bus_km_per_week",
        text="How many kilometres do you travel by bus or coach in a typical week?",
        help=f"Multiplied by {WEEKS_PER_YEAR} weeks.",
        type="number",
        category="transportation",
        line="bus",
        allocation="person",
        unit="km",
        units=("km",),
        minimum=0,
        maximum=20_000,
        default=Default(0, NOT_COUNTED, "km"),
    ),
    Question(
        id="rail_km_per_week",
        text="How many kilometres do you travel by train, tram or metro in a typical week?",
        help=f"Multiplied by {WEEKS_PER_YEAR} weeks; DESNZ national rail factor.",
        type="number",
        category="transportation",
        line="rail",
        allocation="person",
        unit="km",
        units=("km",),
        minimum=0,
        maximum=20_000,
        default=Default(0, NOT_COUNTED, "km"),
    ),
    Question(
        id="diet",
        text="Which best describes your diet?",
        help="Groups of Scarborough et al. (2014): high meat is 100 g of meat a day or more, "
        "medium 50-99 g, low under 50 g.",
        type="choice",
        category="lifestyle",
        line="diet",
        allocation="person",
        choices=DIETS,
        default=Default(
            "medium_meat",
            Basis("assumption", "the middle meat-eating group (the engine's default)"),
        ),
    ),
    Question(
        id="residual_waste_kg_per_week",
        text="How many kilograms of non-recycled rubbish does your home throw away a week?",
        help=f"Multiplied by {WEEKS_PER_YEAR} weeks and divided by the household size. Recycling "
        "is not asked: its benefit belongs to the user of the recycled material (DESNZ).",
        type="number",
        category="waste",
        line="waste",
        allocation="household",
        unit="kg",
        units=("kg",),
        minimum=0,
        maximum=1_000,
        default=Default(0, NOT_COUNTED, "kg"),
    ),
    Question(
        id="clothing_spend_usd_per_year",
        text="How much do you spend on clothes and shoes a year (US dollars)?",
        help=f"USEEIO v1.3 supply-chain factor of NAICS {CLOTHING_SECTOR} (2022 USD, "
        "purchaser price); convert other currencies first.",
        type="number",
        category="other",
        line="clothing",
        allocation="person",
        unit="USD",
        units=("USD",),
        minimum=0,
        maximum=10_000_000,
        default=Default(0, NOT_COUNTED, "USD"),
    ),
    Question(
        id="electronics_spend_usd_per_year",
        text="How much do you spend on computers, phones and electronics a year (US dollars)?",
        help=f"USEEIO v1.3 supply-chain factor of NAICS {ELECTRONICS_SECTOR} (2022 USD, "
        "purchaser price); convert other currencies first.",
        type="number",
        category="other",
        line="electronics",
        allocation="person",
        unit="USD",
        units=("USD",),
        minimum=0,
        maximum=10_000_000,
        default=Default(0, NOT_COUNTED, "USD"),
    ),
)

BY_ID: dict[str, Question] = {q.id: q for q in QUESTIONS}

# `heating_unit` is part of the heating amount, not a question of its own.
HEATING_UNIT_FIELD = "heating_unit"


def heating_unit_default(country: str | None) -> str:
    unit = BY_ID["heating_amount_per_year"].default_for(country).unit
    return unit or "kWh"
