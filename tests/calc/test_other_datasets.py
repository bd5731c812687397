"""eGRID, Ember/OWID, EPA Hub, USEEIO, CCF and the diet table: one unit returns the value.

Expected values are computed here from the shipped CSVs (lb/MWh with AR5 GWPs, g -> kg, ...),
compared with a relative tolerance of 1e-12 (the library rounds exact decimals to float once;
a float recomputation may differ in the last bit), and exactly with the registry's factor.
"""

from __future__ import annotations

import pytest

from ecotrack.calc import CalcError, EstimateRequest, estimate
from ecotrack.factors.registry import FactorRegistry
from tests.calc.conftest import csv_dicts

LB = 0.45359237
GWP_CH4, GWP_N2O = 28, 265  # AR5, EPA Hub Table 11 / research note §7.3


def est(activity: str, amount: float, unit: str, **kw: object):  # type: ignore[no-untyped-def]
    options = kw.pop("options", {})
    return estimate(EstimateRequest(activity, amount, unit, options=options, **kw))  # type: ignore[arg-type]


EGRID = {
    r["egrid_subregion"]: r
    for r in csv_dicts("epa_hub_2025", "t06_electricity_egrid_subregions.csv")
}


@pytest.mark.parametrize("sub", ["CAMX", "ERCT", "NYUP", "RFCW", "SRMW", "AKGD", "HIOA", "NEWE"])
def test_egrid_subregions(sub: str, reg: FactorRegistry) -> None:
    row = EGRID[sub]
    expected = (
        (
            float(row["total_output_co2_lb_per_mwh"])
            + GWP_CH4 * float(row["total_output_ch4_lb_per_mwh"])
            + GWP_N2O * float(row["total_output_n2o_lb_per_mwh"])
        )
        * LB
        / 1000
    )
    r = est("electricity", 1, "kWh", region=f"US-{sub}")
    assert r.co2e_kg == pytest.approx(expected, rel=1e-12)
    assert r.co2e_kg == reg.egrid(sub).value
    assert r.factor.id == f"egrid:2023:{sub}"
    assert r.source == "egrid"
    assert set(r.gases) == {"co2", "ch4", "n2o"}
    assert sum(r.gases.values()) == pytest.approx(r.co2e_kg, rel=1e-12)


def test_egrid_us_average_matches_research_note() -> None:
    r = est("electricity", 1000, "kWh", region="US")
    assert r.co2e_kg == pytest.approx(351.642, abs=0.001)  # research note §3.1: 0.351642 kg/kWh
    assert r.factor.id == "egrid:2023:US"
    assert est("electricity", 1, "kWh", region="US", source="epa").factor.id == "egrid:2023:US"


def test_egrid_transmission_losses_use_l_over_one_minus_l() -> None:
    loss = float(EGRID["ERCT"]["grid_gross_loss_fraction"])
    base = est("electricity", 100, "kWh", region="US-ERCT")
    with_td = est(
        "electricity", 100, "kWh", region="US-ERCT", options={"include_transmission_losses": True}
    )
    assert with_td.co2e_kg == pytest.approx(base.co2e_kg * (1 + loss / (1 - loss)), rel=1e-12)


EMBER = csv_dicts("ember", "ember_grid_carbon_intensity_yearly.csv")


@pytest.mark.parametrize("iso2", ["FR", "DE", "IN", "BR", "AU", "NA", "SE", "ZA", "JP", "PL"])
def test_ember_countries(iso2: str, reg: FactorRegistry) -> None:
    rows = [r for r in EMBER if r["iso2"] == iso2 and r["emissions_intensity_gco2_per_kwh"]]
    latest = max(rows, key=lambda r: int(r["year"]))
    expected = float(latest["emissions_intensity_gco2_per_kwh"]) / 1000
    r = est("electricity", 1, "kWh", region=iso2)
    assert r.co2e_kg == pytest.approx(expected, rel=1e-12)
    assert r.factor.id == f"ember:2025:{iso2}:{latest['year']}"
    assert r.co2e_kg == reg.get(r.factor.id).value
    assert r.source == "ember"
    assert any("lifecycle" in w for w in r.warnings)
    # a year present in the data is used as is
    y = int(rows[len(rows) // 2]["year"])
    mid = est("electricity", 1, "kWh", region=iso2, year=y)
    assert mid.factor.id == f"ember:2025:{iso2}:{y}"


def test_ember_fallbacks_warn() -> None:
    world = est("electricity", 1, "kWh")
    assert world.factor.region == "WORLD"
    assert any("no region" in w for w in world.warnings)
    future = est("electricity", 1, "kWh", region="FR", year=2040)
    assert any("2040" in w for w in future.warnings)
    td = est("electricity", 1, "kWh", region="FR", options={"include_transmission_losses": True})
    assert td.co2e_kg == est("electricity", 1, "kWh", region="FR").co2e_kg
    assert any("exclude transmission" in w for w in td.warnings)


def test_owid_source(reg: FactorRegistry) -> None:
    r = est("electricity", 1, "kWh", region="DE", source="owid")
    assert r.factor.id.startswith("owid:")
    assert r.co2e_kg == reg.get(r.factor.id).value


# --------------------------------------------------------------------------------------------
# EPA Hub fuels and travel
# --------------------------------------------------------------------------------------------
T1 = {r["fuel_type"]: r for r in csv_dicts("epa_hub_2025", "t01_stationary_combustion.csv")}
T2 = {r["fuel_type"]: r for r in csv_dicts("epa_hub_2025", "t02_mobile_combustion_co2.csv")}
T10 = {
    r["vehicle_type"]: r
    for r in csv_dicts("epa_hub_2025", "t10_scope3_cat6_7_business_travel_commuting.csv")
}


def _t1(fuel: str, per: str) -> float:
    r = T1[fuel]
    if per == "unit":
        return (
            float(r["co2_kg_per_unit"])
            + (GWP_CH4 * float(r["ch4_g_per_unit"]) + GWP_N2O * float(r["n2o_g_per_unit"])) / 1000
        )
    return (
        float(r["co2_kg_per_mmbtu"])
        + (GWP_CH4 * float(r["ch4_g_per_mmbtu"]) + GWP_N2O * float(r["n2o_g_per_mmbtu"])) / 1000
    )


@pytest.mark.parametrize(
    ("activity", "options", "unit", "fuel", "per"),
    [
        ("natural_gas", {}, "scf", "Natural Gas", "unit"),
        ("natural_gas", {}, "MMBtu", "Natural Gas", "mmbtu"),
        ("heating_oil", {}, "gallon", "Distillate Fuel Oil No. 2", "unit"),
        ("heating_oil", {"grade": "kerosene"}, "gallon", "Kerosene", "unit"),
        ("lpg", {}, "gallon", "Liquefied Petroleum Gases (LPG)", "unit"),
        ("coal", {}, "short_ton", "Mixed (Commercial Sector)", "unit"),
        ("coal", {"grade": "industrial"}, "MMBtu", "Mixed (Industrial Sector)", "mmbtu"),
    ],
)
def test_epa_stationary_fuels(activity: str, options: dict, unit: str, fuel: str, per: str) -> None:
    r = est(activity, 1, unit, region="US", options=options)
    assert r.co2e_kg == pytest.approx(_t1(fuel, per), rel=1e-12)
    assert r.source == "epa"
    assert r.factor.id.startswith("epa-hub:2025:t1:")


def test_epa_research_note_natural_gas_per_therm() -> None:
    # research note §3.1: per therm (0.1 mmBtu) 5.31145 kg CO2e (AR5)
    assert est("natural_gas", 1, "therm", region="US").co2e_kg == pytest.approx(5.31145, rel=1e-4)


@pytest.mark.parametrize(
    ("activity", "fuel"), [("petrol", "Motor Gasoline"), ("diesel", "Diesel Fuel")]
)
def test_epa_mobile_fuels(activity: str, fuel: str) -> None:
    r = est(activity, 1, "gallon", region="US")
    assert r.co2e_kg == float(T2[fuel]["co2_kg_per_unit"])
    assert any("CO2 only" in w for w in r.warnings)
    litres = est(activity, 3.785411784, "L", region="US")
    assert litres.co2e_kg == pytest.approx(r.co2e_kg, rel=1e-12)


@pytest.mark.parametrize(
    ("activity", "options", "unit", "label"),
    [
        ("car", {}, "mile", "Passenger Car"),
        ("car", {"size": "large"}, "mile", "Light-Duty Truck"),
        ("motorbike", {}, "mile", "Motorcycle"),
        ("bus", {}, "passenger_mile", "Bus"),
        ("rail", {}, "passenger_mile", "Intercity Rail - National Average"),
        ("rail", {"type": "commuter"}, "passenger_mile", "Commuter Rail"),
        ("rail", {"type": "underground"}, "passenger_mile", "Transit Rail (i.e. Subway, Tram)"),
    ],
)
def test_epa_travel(activity: str, options: dict, unit: str, label: str) -> None:
    row = T10[label]
    expected = (
        float(row["co2_kg_per_unit"])
        + (GWP_CH4 * float(row["ch4_g_per_unit"]) + GWP_N2O * float(row["n2o_g_per_unit"])) / 1000
    )
    r = est(activity, 1, unit, source="epa", options=options)
    assert r.co2e_kg == pytest.approx(expected, rel=1e-12)


def test_epa_flight_bands_by_distance() -> None:
    short = est(
        "flight",
        1,
        "passenger",
        source="epa",
        options={"from": "LGA", "to": "BOS", "distance_uplift": 0},
    )
    medium = est("flight", 1, "passenger", source="epa", options={"from": "JFK", "to": "ORD"})
    long = est("flight", 1, "passenger", source="epa", options={"from": "JFK", "to": "LHR"})
    assert short.factor.id.endswith("short-haul-300-miles")
    assert medium.factor.id.endswith("medium-haul-300-miles-2300-miles")
    assert long.factor.id.endswith("long-haul-2300-miles")
    assert any("radiative forcing" in w for w in long.warnings)


def test_epa_waste_short_ton() -> None:
    t9 = {r["material"]: r for r in csv_dicts("epa_hub_2025", "t09_scope3_cat5_waste.csv")}
    r = est("waste", 1, "short_ton", region="US", options={"type": "household_residual"})
    assert r.co2e_kg == pytest.approx(
        float(t9["Mixed MSW"]["landfilled_mtco2e_per_short_ton"]) * 1000
    )
    assert r.factor.gwp_set == "AR4"
    assert any("AR4" in w for w in r.warnings)


# --------------------------------------------------------------------------------------------
# USEEIO, diet, cloud
# --------------------------------------------------------------------------------------------
USEEIO = {
    r["2017 NAICS Code"]: r
    for r in csv_dicts(
        "useeio_v1_3_0", "SupplyChainGHGEmissionFactors_v1.3.0_NAICS_CO2e_USD2022.csv"
    )
}


@pytest.mark.parametrize("naics", ["111110", "541511", "325211", "722511", "481111"])
def test_useeio_sectors(naics: str) -> None:
    row = USEEIO[naics]
    r = est("spend", 1, "USD", options={"sector": naics})
    assert r.co2e_kg == float(row["Supply Chain Emission Factors with Margins"])
    r2 = est("spend", 1, "USD", options={"sector": naics, "margins": False})
    assert r2.co2e_kg == float(row["Supply Chain Emission Factors without Margins"])
    k = est("spend", 2.5, "kUSD", options={"sector": naics})
    assert k.co2e_kg == pytest.approx(
        2500 * float(row["Supply Chain Emission Factors with Margins"]), rel=1e-12
    )


def test_spend_other_currency_needs_a_rate() -> None:
    with pytest.raises(CalcError) as exc:
        est("spend", 100, "EUR", options={"sector": "541511"})
    assert exc.value.code == "unit-not-accepted"
    assert "exchange_rate_to_usd" in exc.value.errors[0]["msg"]
    r = est("spend", 100, "EUR", options={"sector": "541511", "exchange_rate_to_usd": 1.1})
    assert r.co2e_kg == pytest.approx(
        110 * float(USEEIO["541511"]["Supply Chain Emission Factors with Margins"])
    )


# Scarborough et al. (2014), Climatic Change 125:179-192, abstract / Table 3 (kg CO2e/day)
SCARBOROUGH = {
    "high_meat": (7.19, 7.16, 7.22),
    "medium_meat": (5.63, 5.61, 5.65),
    "low_meat": (4.67, 4.65, 4.70),
    "pescatarian": (3.91, 3.88, 3.94),
    "vegetarian": (3.81, 3.79, 3.83),
    "vegan": (2.89, 2.83, 2.94),
}


@pytest.mark.parametrize(("diet", "values"), SCARBOROUGH.items())
def test_diet_values(diet: str, values: tuple[float, float, float]) -> None:
    mean, lo, hi = values
    r = est("diet", 1, "person_day", options={"diet": diet})
    assert r.co2e_kg == mean
    assert r.range.low == pytest.approx(lo)
    assert r.range.high == pytest.approx(hi)
    assert r.factor.url == "https://doi.org/10.1007/s10584-014-1169-1"
    week = est("diet", 7, "day", options={"diet": diet})
    assert week.co2e_kg == pytest.approx(7 * mean)


def _ccf(provider: str, constant: str) -> float:
    for r in csv_dicts("ccf", "ccf_provider_constants.csv"):
        if r["provider"] == provider and r["constant"] == constant and not r["key"]:
            return float(r["value"])
    raise KeyError(constant)


def test_cloud_compute_ccf_formula() -> None:
    grid = {r["Region"]: r for r in csv_dicts("ccf", "ccf_grid-emissions-factors-aws.csv")}
    wmin, wmax, pue = (
        _ccf("AWS", "MIN_WATTS_AVG"),
        _ccf("AWS", "MAX_WATTS_AVG"),
        _ccf("AWS", "PUE_AVG"),
    )
    ef = float(grid["us-east-1"]["CO2e (metric ton/kWh)"]) * 1000
    kwh = 100 * (wmin + 0.5 * (wmax - wmin)) / 1000 * pue
    r = est("cloud_compute", 100, "vCPU_hour", options={"provider": "aws", "region": "us-east-1"})
    assert r.metrics["energy_kwh"] == pytest.approx(kwh, rel=1e-12)
    assert r.co2e_kg == pytest.approx(kwh * ef, rel=1e-12)
    mem = est("cloud_compute", 100, "GB_hour", options={"provider": "aws", "region": "us-east-1"})
    assert mem.co2e_kg == pytest.approx(
        100 * _ccf("AWS", "MEMORY_COEFFICIENT") * pue * ef, rel=1e-12
    )
    busy = est(
        "cloud_compute",
        100,
        "vCPU_hour",
        options={"provider": "aws", "region": "us-east-1", "cpu_utilisation": 1},
    )
    assert busy.metrics["energy_kwh"] == pytest.approx(100 * wmax / 1000 * pue, rel=1e-12)
