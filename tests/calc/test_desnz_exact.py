"""Exactness against the DESNZ flat files: one unit of a row's unit returns exactly that row.

Expected values are read from the CSVs with the csv module (conftest.desnz_rows); option names
are this test's own mapping of the flat-file labels, so a wrong engine mapping fails here.
"""

from __future__ import annotations

import pytest

from ecotrack.calc import CalcError, EstimateRequest, estimate
from tests.calc.conftest import YEARS, desnz_rows, desnz_totals, desnz_value


def est(activity: str, amount: float, unit: str, **kw: object):  # type: ignore[no-untyped-def]
    options = kw.pop("options", {})
    return estimate(EstimateRequest(activity, amount, unit, options=options, **kw))  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# electricity
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("year", YEARS)
def test_uk_electricity_one_kwh_is_the_row(year: int) -> None:
    fid, value = desnz_value(
        year,
        level1="UK electricity",
        level2="Electricity generated",
        level3="Electricity: UK",
        uom="kWh",
    )
    r = est("electricity", 1, "kWh", region="GB", year=year)
    assert r.co2e_kg == value
    assert r.factor.id == fid
    assert r.factor.value == value
    assert r.source == "desnz"
    assert r.factor.licence == "OGL-UK-3.0"


def test_cli_example_3000_kwh_gb_2024() -> None:
    # `ecotrack estimate electricity 3000 kWh --region GB --year 2024 --source desnz`
    r = est("electricity", 3000, "kWh", region="GB", year=2024, source="desnz")
    assert r.co2e_kg == 3000 * 0.20705  # research note §2.3 (verified 2024 value)
    assert r.factor.id == "desnz:2024:7_400_4000_5_1"
    assert r.amount_normalised == 3000
    assert r.unit_normalised == "kWh"
    text = r.explanation[0].text
    assert "3000 kWh × 0.20705 kg CO2e/kWh (desnz:2024:7_400_4000_5_1" in text
    assert text.endswith("= 621.15 kg CO2e")
    # gas split of the row: 0.20493 + 0.00090 + 0.00122 per kWh (research note §2.2)
    assert r.gases == pytest.approx(
        {"co2": 3000 * 0.20493, "ch4": 3000 * 0.0009, "n2o": 3000 * 0.00122}
    )


def test_uk_alias_and_year_fallbacks() -> None:
    assert est("electricity", 1, "kWh", region="UK", year=2024).co2e_kg == 0.20705
    later = est("electricity", 1, "kWh", region="GB", year=2031)
    assert later.factor.id.startswith("desnz:2025:")
    assert any("nearest earlier" in w for w in later.warnings)
    early = est("electricity", 1, "kWh", region="GB", year=2019)
    assert early.factor.id.startswith("desnz:2023:")
    assert any("earlier than the first edition" in w for w in early.warnings)
    latest = est("electricity", 1, "kWh", region="GB")
    assert latest.factor.id.startswith("desnz:2025:")
    assert latest.warnings == ()


@pytest.mark.parametrize("year", YEARS)
def test_transmission_losses_add_the_td_row(year: int) -> None:
    _, gen = desnz_value(year, level1="UK electricity", level2="Electricity generated", uom="kWh")
    td_id, td = desnz_value(
        year, level1="Transmission and distribution", level2="T&D- UK electricity", uom="kWh"
    )
    r = est(
        "electricity",
        1,
        "kWh",
        region="GB",
        year=year,
        options={"include_transmission_losses": True},
    )
    assert r.co2e_kg == gen + td
    assert [c.id for c in r.components] == [td_id]


# --------------------------------------------------------------------------------------------
# fuels
# --------------------------------------------------------------------------------------------
# (activity, options, Level 1, Level 2, Level 3)
FUELS = [
    ("natural_gas", {}, "Fuels", "Gaseous fuels", "Natural gas"),
    ("lpg", {}, "Fuels", "Gaseous fuels", "LPG"),
    ("heating_oil", {}, "Fuels", "Liquid fuels", "Burning oil"),
    ("heating_oil", {"grade": "kerosene"}, "Fuels", "Liquid fuels", "Burning oil"),
    ("heating_oil", {"grade": "gas_oil"}, "Fuels", "Liquid fuels", "Gas oil"),
    ("heating_oil", {"grade": "fuel_oil"}, "Fuels", "Liquid fuels", "Fuel oil"),
    ("coal", {}, "Fuels", "Solid fuels", "Coal (domestic)"),
    ("coal", {"grade": "industrial"}, "Fuels", "Solid fuels", "Coal (industrial)"),
    ("wood_pellets", {}, "Bioenergy", "Biomass", "Wood pellets"),
    ("petrol", {}, "Fuels", "Liquid fuels", "Petrol (average biofuel blend)"),
    ("petrol", {"grade": "mineral"}, "Fuels", "Liquid fuels", "Petrol (100% mineral petrol)"),
    ("diesel", {}, "Fuels", "Liquid fuels", "Diesel (average biofuel blend)"),
    ("diesel", {"grade": "mineral"}, "Fuels", "Liquid fuels", "Diesel (100% mineral diesel)"),
]
# DESNZ UOM -> (our unit, extra options)
FUEL_UOMS = {
    "kWh (Gross CV)": ("kWh", {}),
    "kWh (Net CV)": ("kWh", {"calorific_basis": "net"}),
    "kWh": ("kWh", {}),
    "litres": ("L", {}),
    "cubic metres": ("m3", {}),
    "tonnes": ("tonne", {}),
}


@pytest.mark.parametrize("year", YEARS)
@pytest.mark.parametrize(("activity", "options", "l1", "l2", "l3"), FUELS)
def test_fuel_rows(year: int, activity: str, options: dict, l1: str, l2: str, l3: str) -> None:
    rows = [
        r
        for r in desnz_totals(year, level1=l1, level2=l2, level3=l3)
        if r["value"] and r["UOM"] in FUEL_UOMS
    ]
    assert len(rows) >= 2
    for row in rows:
        unit, extra = FUEL_UOMS[row["UOM"]]
        r = est(activity, 1, unit, region="GB", year=year, options={**options, **extra})
        assert r.co2e_kg == float(row["value"]), row
        assert r.factor.id == f"desnz:{year}:{row['ID']}"


def test_natural_gas_units_convert_to_the_kwh_row() -> None:
    _, per_kwh = desnz_value(2024, level1="Fuels", level3="Natural gas", uom="kWh (Gross CV)")
    therm = est("natural_gas", 1, "therm", region="GB", year=2024)
    assert therm.co2e_kg == pytest.approx(
        per_kwh * 105.5056 / 3.6, rel=1e-12
    )  # EC therm = 105.5056 MJ
    mmbtu = est("natural_gas", 1, "MMBtu", region="GB", year=2024)
    assert mmbtu.co2e_kg == pytest.approx(per_kwh * 1055.056 / 3.6, rel=1e-12)
    _, per_m3 = desnz_value(2024, level1="Fuels", level3="Natural gas", uom="cubic metres")
    scf = est("natural_gas", 1000, "scf", region="GB", year=2024)
    assert scf.co2e_kg == pytest.approx(1000 * 0.028316846592 * per_m3, rel=1e-12)


def test_wood_pellets_report_biogenic_co2_as_a_metric() -> None:
    rows = [
        r
        for r in desnz_rows(2024)
        if r["Level 1"] == "Outside of scopes"
        and r["Level 3"] == "Wood pellets"
        and r["UOM"] == "tonnes"
    ]
    assert len(rows) == 1
    r = est("wood_pellets", 2, "tonne", year=2024)
    assert r.metrics["biogenic_co2_kg"] == pytest.approx(2 * float(rows[0]["value"]))


# --------------------------------------------------------------------------------------------
# cars, motorbikes, taxis, bus, coach, rail, ferry
# --------------------------------------------------------------------------------------------
CAR_SIZES = {
    "Small car": "small",
    "Medium car": "medium",
    "Large car": "large",
    "Average car": "average",
}
CAR_FUELS = {
    "Petrol": "petrol",
    "Diesel": "diesel",
    "Hybrid": "hybrid",
    "Plug-in Hybrid Electric Vehicle": "plug_in_hybrid",
    "Battery Electric Vehicle": "battery_electric",
    "Unknown": "unknown",
    "CNG": "cng",
    "LPG": "lpg",
}
DIST = {"km": "km", "miles": "mile"}


@pytest.mark.parametrize("year", YEARS)
@pytest.mark.parametrize(
    ("level1", "ownership"),
    [("Business travel- land", "not_owned"), ("Passenger vehicles", "owned")],
)
def test_every_car_row(year: int, level1: str, ownership: str) -> None:
    rows = desnz_totals(year, level1=level1, level2="Cars (by size)")
    assert len(rows) == 64
    checked = 0
    for row in rows:
        opts = {
            "size": CAR_SIZES[row["Level 3"]],
            "fuel": CAR_FUELS[row["Column Text"]],
            "ownership": ownership,
        }
        if not row["value"]:
            with pytest.raises(CalcError) as exc:
                est("car", 1, DIST[row["UOM"]], year=year, options=opts)
            assert exc.value.code == "factor-not-found"
            continue
        r = est("car", 1, DIST[row["UOM"]], year=year, options=opts)
        assert r.co2e_kg == float(row["value"]), row
        assert r.factor.id == f"desnz:{year}:{row['ID']}"
        checked += 1
    assert checked >= 48


def test_research_note_car_values() -> None:
    # research note §2.3: average car 2024 petrol 0.16450/km, unknown 0.26860/mile, BEV 0.04745/km
    assert est("car", 1, "km", year=2024, options={"fuel": "petrol"}).co2e_kg == 0.1645
    assert est("car", 1, "mile", year=2024).co2e_kg == 0.2686
    assert est("car", 1, "km", year=2024, options={"fuel": "battery_electric"}).co2e_kg == 0.04745


def test_car_passengers_divide_per_person() -> None:
    one = est("car", 120, "km", year=2024, options={"fuel": "diesel"})
    three = est("car", 120, "km", year=2024, options={"fuel": "diesel", "passengers": 3})
    assert three.co2e_kg == pytest.approx(one.co2e_kg / 3, rel=1e-15)


@pytest.mark.parametrize("year", YEARS)
def test_motorbike_taxi_bus_coach_rail_ferry_rows(year: int) -> None:
    cases = [
        (
            "motorbike",
            "Motorbike",
            {"Small": "small", "Medium": "medium", "Large": "large", "Average": "average"},
            "size",
        ),
        ("taxi", "Taxis", {"Regular taxi": "regular", "Black cab": "black_cab"}, "type"),
        (
            "bus",
            "Bus",
            {
                "Average local bus": "average",
                "Local bus (not London)": "local",
                "Local London bus": "london",
            },
            "type",
        ),
        ("coach", "Bus", {"Coach": None}, ""),
        (
            "rail",
            "Rail",
            {
                "National rail": "national",
                "International rail": "international",
                "Light rail and tram": "light_rail",
                "London Underground": "underground",
            },
            "type",
        ),
    ]
    units = {"km": "km", "miles": "mile", "passenger.km": "passenger_km"}
    n = 0
    for activity, level2, labels, opt in cases:
        for label, key in labels.items():
            for row in desnz_totals(
                year, level1="Business travel- land", level2=level2, level3=label
            ):
                options = {opt: key} if key is not None else {}
                r = est(activity, 1, units[row["UOM"]], year=year, options=options)
                assert r.co2e_kg == float(row["value"]), row
                assert r.factor.id == f"desnz:{year}:{row['ID']}"
                n += 1
    ferry = {
        "Foot passenger": "foot_passenger",
        "Car passenger": "car_passenger",
        "Average (all passenger)": "average",
    }
    for label, key in ferry.items():
        fid, value = desnz_value(year, level1="Business travel- sea", level2="Ferry", level3=label)
        r = est("ferry", 1, "passenger_km", year=year, options={"type": key})
        assert (r.co2e_kg, r.factor.id) == (value, fid)
        n += 1
    assert n == 8 + 4 + 3 + 1 + 4 + 3


def test_bus_and_rail_research_note_values() -> None:
    assert est("bus", 1, "km", year=2024).co2e_kg == 0.10846  # 1 km = one passenger's km
    assert est("rail", 1, "passenger_km", year=2024).co2e_kg == 0.03546


# --------------------------------------------------------------------------------------------
# flights: every haul x cabin x RF row
# --------------------------------------------------------------------------------------------
HAULS = {
    "Domestic, to/from UK": "domestic",
    "Short-haul, to/from UK": "short",
    "Long-haul, to/from UK": "long",
    "International, to/from non-UK": "international",
}
CABINS = {
    "Average passenger": "average",
    "Economy class": "economy",
    "Premium economy class": "premium_economy",
    "Business class": "business",
    "First class": "first",
}


@pytest.mark.parametrize("year", YEARS)
def test_every_flight_row(year: int) -> None:
    rows = desnz_totals(year, level1="Business travel- air", level2="Flights", uom="passenger.km")
    rows = [r for r in rows if r["value"]]
    assert len(rows) == 28
    for row in rows:
        options = {
            "haul": HAULS[row["Level 3"]],
            "cabin": CABINS[row["Level 4"]],
            "radiative_forcing": row["Column Text"] == "With RF",
        }
        r = est("flight", 1, "passenger_km", year=year, options=options)
        assert r.co2e_kg == float(row["value"]), row
        assert r.factor.id == f"desnz:{year}:{row['ID']}"
        assert r.warnings == ()
        # one km flown by one passenger is the same
        assert est("flight", 1, "km", year=year, options=options).co2e_kg == float(row["value"])


def test_flight_research_note_values_and_round_trip() -> None:
    econ = {"haul": "long", "cabin": "economy"}
    assert est("flight", 1, "km", year=2024, options=econ).co2e_kg == 0.20011
    assert (
        est("flight", 1, "km", year=2024, options={**econ, "radiative_forcing": False}).co2e_kg
        == 0.11812
    )
    rt = est("flight", 1000, "km", year=2024, options={**econ, "round_trip": True})
    assert rt.co2e_kg == pytest.approx(2000 * 0.20011, rel=1e-15)


@pytest.mark.parametrize(
    ("haul", "cabin", "row_cabin"),
    [
        ("domestic", "economy", "Average passenger"),
        ("domestic", "business", "Average passenger"),
        ("short", "premium_economy", "Economy class"),
        ("short", "first", "Business class"),
    ],
)
def test_flight_cabin_fallbacks_warn(haul: str, cabin: str, row_cabin: str) -> None:
    level3 = {v: k for k, v in HAULS.items()}[haul]
    fid, value = desnz_value(
        2024, level1="Business travel- air", level3=level3, level4=row_cabin, column_text="With RF"
    )
    r = est("flight", 1, "km", year=2024, options={"haul": haul, "cabin": cabin})
    assert (r.co2e_kg, r.factor.id) == (value, fid)
    assert any("publishes no" in w for w in r.warnings)


# --------------------------------------------------------------------------------------------
# waste, water, hotels
# --------------------------------------------------------------------------------------------
TREATMENTS = {
    "Landfill": "landfill",
    "Combustion": "combustion",
    "Incineration with Energy Recovery": "combustion",
    "Composting": "composting",
    "Anaerobic digestion": "anaerobic_digestion",
    "Closed-loop": "closed_loop",
    "Open-loop": "open_loop",
    "Re-use": "reuse",
}
# this test's own names for a few waste streams (the engine's full table is checked below)
WASTE_SPOT = {
    "household_residual": "Household residual waste",
    "commercial_industrial": "Commercial and industrial waste",
    "food": "Organic: food and drink waste",
    "paper_and_board": "Paper and board: mixed",
    "paper": "Paper and board: paper",
    "cardboard": "Paper and board: board",
    "glass": "Glass",
    "plastics": "Plastics: average plastics",
}


@pytest.mark.parametrize("year", YEARS)
def test_waste_spot_values(year: int) -> None:
    for key, label in WASTE_SPOT.items():
        for row in desnz_totals(year, level1="Waste disposal", level3=label, uom="tonnes"):
            if not row["value"] or row["Column Text"] not in TREATMENTS:
                continue
            r = est(
                "waste",
                1,
                "tonne",
                year=year,
                options={"type": key, "treatment": TREATMENTS[row["Column Text"]]},
            )
            assert (r.co2e_kg, r.factor.id) == (float(row["value"]), f"desnz:{year}:{row['ID']}"), (
                row
            )


@pytest.mark.parametrize("year", YEARS)
def test_every_waste_row(year: int) -> None:
    from ecotrack.calc.activities_other import WASTE_DESNZ

    by_label = {label: k for k, (_l2, label) in WASTE_DESNZ.items()}
    rows = [r for r in desnz_totals(year, level1="Waste disposal", uom="tonnes") if r["value"]]
    assert len(rows) > 100
    labels = {r["Level 3"] for r in desnz_totals(year, level1="Waste disposal")}
    assert labels <= set(by_label), labels - set(by_label)  # every DESNZ stream is reachable
    for row in rows:
        options = {"type": by_label[row["Level 3"]], "treatment": TREATMENTS[row["Column Text"]]}
        r = est("waste", 1, "tonne", year=year, options=options)
        assert (r.co2e_kg, r.factor.id) == (float(row["value"]), f"desnz:{year}:{row['ID']}"), row
        assert r.unit_normalised == "tonne"


def test_waste_research_note_values() -> None:
    assert est("waste", 1, "tonne", year=2024).co2e_kg == 497.04416  # household residual, landfill
    assert est("waste", 1000, "kg", year=2024, options={"type": "food"}).co2e_kg == pytest.approx(
        700.20961
    )


@pytest.mark.parametrize("year", YEARS)
def test_water_rows(year: int) -> None:
    for kind in ("supply", "treatment"):
        l1 = f"Water {kind}"
        for uom, unit in (("cubic metres", "m3"), ("million litres", "ML")):
            fid, value = desnz_value(year, level1=l1, uom=uom)
            r = est("water", 1, unit, year=year, options={"kind": kind})
            assert (r.co2e_kg, r.factor.id) == (value, fid)
    _, s = desnz_value(year, level1="Water supply", uom="cubic metres")
    _, t = desnz_value(year, level1="Water treatment", uom="cubic metres")
    both = est("water", 1, "m3", year=year, options={"kind": "supply_and_treatment"})
    assert both.co2e_kg == s + t
    litres = est("water", 1000, "L", year=year)
    assert litres.co2e_kg == pytest.approx(s, rel=1e-12)


# this test's own ISO codes for the DESNZ hotel labels
HOTEL_ISO = {
    "UK": "GB", "Australia": "AU", "Belgium": "BE", "Brazil": "BR", "Canada": "CA", "Chile": "CL",
    "China": "CN", "Colombia": "CO", "Costa Rica": "CR", "Egypt": "EG", "France": "FR",
    "Germany": "DE", "Hong Kong, China": "HK", "India": "IN", "Indonesia": "ID", "Italy": "IT",
    "Japan": "JP", "Jordan": "JO", "Korea": "KR", "Malaysia": "MY", "Maldives": "MV",
    "Mexico": "MX", "Netherlands": "NL", "Oman": "OM", "Philippines": "PH", "Portugal": "PT",
    "Qatar": "QA",
    "Russian Federation": "RU", "Saudi Arabia": "SA", "Singapore": "SG", "South Africa": "ZA",
    "Spain": "ES", "Switzerland": "CH", "Thailand": "TH", "Turkey": "TR",
    "United Arab Emirates": "AE", "United States": "US", "Vietnam": "VN",
}  # fmt: skip


@pytest.mark.parametrize("year", YEARS)
def test_every_hotel_row(year: int) -> None:
    rows = [r for r in desnz_totals(year, level1="Hotel stay") if r["value"]]
    assert len(rows) == 39
    for row in rows:
        if row["Level 3"] == "UK (London)":
            r = est("hotel_stay", 1, "room_night", region="GB", year=year, options={"london": True})
        else:
            r = est("hotel_stay", 1, "room_night", region=HOTEL_ISO[row["Level 3"]], year=year)
        assert (r.co2e_kg, r.factor.id) == (float(row["value"]), f"desnz:{year}:{row['ID']}"), row


def test_hotel_research_note_values() -> None:
    assert est("hotel_stay", 1, "room_night", region="GB", year=2024).co2e_kg == 10.4
    assert est("hotel_stay", 2, "room_nights", region="FR", year=2024).co2e_kg == pytest.approx(
        13.4
    )
    assert est("hotel_stay", 1, "room_night", region="USA", year=2024).co2e_kg == 16.1
