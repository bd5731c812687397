"""EPA GHG Emission Factors Hub 2025: eGRID conversions, combustion, travel, waste."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from ecotrack.factors import FactorNotFound
from ecotrack.factors.registry import FactorRegistry

from ._util import read_csv

LB = Decimal("0.45359237")


def test_egrid_us_average_hand_check(reg: FactorRegistry) -> None:
    # Research note §3.1: 775.239 lb CO2e/MWh (AR5) = 0.351642 kg CO2e/kWh; CO2 0.349957.
    f = reg.egrid("US")
    assert f.id == "egrid:2023:US"
    assert f.region == "US"
    assert f.per_unit == "kWh"
    assert f"{f.value:.6g}" == "0.351642"
    assert f"{f.gas_split['co2']:.6g}" == "0.349957"
    assert f.scope == "Scope 2"
    assert f.gwp_set == "AR5"
    assert reg.grid_intensity("US", source="egrid").factor == f


def test_every_egrid_subregion_converts_lb_per_mwh_exactly(reg: FactorRegistry) -> None:
    rows = read_csv("epa_hub_2025", "t06_electricity_egrid_subregions.csv")
    assert len(rows) == 28
    for r in rows:
        sub = "US" if r["egrid_subregion"] == "US Average" else r["egrid_subregion"]
        f = reg.egrid(sub)
        co2_lb = r["total_output_co2_lb_per_mwh"]
        co2 = f.gas_split["co2"]
        assert co2 == float(Decimal(co2_lb) * LB / 1000), sub
        assert math.isclose(co2, float(co2_lb) * 0.45359237 / 1000, rel_tol=1e-12)
        co2e_lb = (
            float(co2_lb)
            + 28 * float(r["total_output_ch4_lb_per_mwh"])
            + 265 * float(r["total_output_n2o_lb_per_mwh"])
        )
        assert math.isclose(f.value, co2e_lb * 0.45359237 / 1000, rel_tol=1e-12), sub
        assert f.region == ("US" if sub == "US" else f"US-{sub}")
        nb = reg.egrid(sub, non_baseload=True)
        nb_lb = float(r["nonbaseload_co2_lb_per_mwh"])
        assert math.isclose(nb.gas_split["co2"], nb_lb * 0.45359237 / 1000, rel_tol=1e-12)
        loss = r["grid_gross_loss_fraction"]
        assert reg.egrid_grid_loss(sub) == (float(loss) if loss else None)


def test_egrid_lookup_accepts_prefixed_and_lowercase(reg: FactorRegistry) -> None:
    assert reg.egrid("us-camx").id == "egrid:2023:CAMX"
    assert reg.epa(6, "CAMX") == reg.egrid("CAMX")
    with pytest.raises(FactorNotFound, match="CAMX"):
        reg.egrid("XXXX")


def test_stationary_natural_gas(reg: FactorRegistry) -> None:
    # Research note §3.1: 5.31145 kg CO2e per therm (0.1 mmBtu) -> 53.1145 per mmBtu.
    per_mmbtu = reg.epa(1, "Natural Gas", "mmBtu")
    assert per_mmbtu.per_unit == "MMBtu"
    assert math.isclose(per_mmbtu.value, 53.1145, rel_tol=1e-12)
    assert per_mmbtu.gas_split["co2"] == 53.06
    scf = reg.epa(1, "natural-gas:scf")
    assert scf.gas_split["co2"] == 0.05444
    assert scf.per_unit == "scf"
    assert math.isclose(scf.value, 0.05444 + 0.00103 * 28 / 1000 + 0.0001 * 265 / 1000)
    with pytest.raises(FactorNotFound) as exc:
        reg.epa(1, "Natural Gas")  # two variants: mmbtu and scf
    assert set(exc.value.candidates) == {scf.id, per_mmbtu.id}


def test_every_stationary_row_and_unit(reg: FactorRegistry) -> None:
    rows = read_csv("epa_hub_2025", "t01_stationary_combustion.csv")
    for r in rows:
        f = reg.epa(1, r["fuel_type"], "mmbtu")
        expected = (
            float(r["co2_kg_per_mmbtu"])
            + float(r["ch4_g_per_mmbtu"]) * 28 / 1000
            + float(r["n2o_g_per_mmbtu"]) * 265 / 1000
        )
        assert math.isclose(f.value, expected, rel_tol=1e-12), r["fuel_type"]
        if r["unit"]:
            u = reg.epa(1, r["fuel_type"], r["unit"])
            assert u.gas_split["co2"] == float(r["co2_kg_per_unit"])
    assert reg.search(source="epa-hub:2025", text="stationary", limit=0)[1] == len(rows) + sum(
        1 for r in rows if r["unit"]
    )


def test_mobile_and_travel(reg: FactorRegistry) -> None:
    gasoline = reg.epa(2, "Motor Gasoline")
    assert gasoline.value == 8.78
    assert gasoline.per_unit == "gallon"
    bus = reg.epa(10, "Bus")
    assert bus.per_unit == "passenger_mile"
    assert bus.gas_split["co2"] == 0.066
    car = reg.epa(10, "Passenger Car")
    assert car.per_unit == "mile"
    assert "car" in car.tags
    truck = reg.epa(8, "Medium- and Heavy-Duty Truck", "short ton-mile")
    assert truck.per_unit == "short_ton_mile"
    assert truck.gas_split["co2"] == 0.186
    long_haul = reg.epa(10, "Air Travel - Long Haul (>= 2300 miles)")
    assert long_haul.gas_split["co2"] == 0.163
    assert "flight" in long_haul.tags
    steam = reg.epa(7, "steam-and-heat")
    assert steam.per_unit == "MMBtu"
    assert steam.gas_split["co2"] == 66.33


def test_waste_is_ar4_and_skips_not_applicable(reg: FactorRegistry) -> None:
    rows = read_csv("epa_hub_2025", "t09_scope3_cat5_waste.csv")
    methods = {
        "recycled_mtco2e_per_short_ton": "recycled",
        "landfilled_mtco2e_per_short_ton": "landfilled",
        "combusted_mtco2e_per_short_ton": "combusted",
        "composted_mtco2e_per_short_ton": "composted",
    }
    seen = 0
    for r in rows:
        for col, method in methods.items():
            if r[col] == "NA":  # the string NA = not applicable, never a number
                with pytest.raises(FactorNotFound):
                    reg.epa(9, r["material"], method)
                continue
            f = reg.epa(9, r["material"], method)
            assert f.value == float(Decimal(r[col]) * 1000)
            assert f.per_unit == "short_ton"
            assert f.gwp_set == "AR4"
            assert "waste" in f.tags
            seen += 1
    assert seen > 100
    assert reg.epa(9, "Mixed MSW", "landfilled").value == 580.0  # 0.58 t (research note)
