"""Ember and OWID grid intensity: exact g->kg conversion and the documented fallbacks."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from ecotrack.factors import Factor, FactorNotFound
from ecotrack.factors.grid import pick_year
from ecotrack.factors.registry import FactorRegistry

from ._util import read_csv


def _ember() -> list[dict[str, str]]:
    return read_csv("ember", "ember_grid_carbon_intensity_yearly.csv")


def test_every_ember_row_is_a_factor(reg: FactorRegistry) -> None:
    for r in _ember():
        key = r["iso2"] or r["country_or_region"].upper().replace(" ", "_")
        f = reg.get(f"ember:2025:{key}:{r['year']}")
        g = r["emissions_intensity_gco2_per_kwh"]
        assert f.value == float(Decimal(g) / 1000)
        assert math.isclose(f.value, float(g) / 1000, rel_tol=1e-15)
        assert f.per_unit == "kWh"
        assert f.unit == "kg CO2e"
        assert "lifecycle" in f.tags


def test_every_owid_row_is_a_factor(reg: FactorRegistry) -> None:
    rows = read_csv("owid", "owid_carbon_intensity_electricity.csv")
    total = reg.search(source="owid", limit=0)[1]
    assert total == len(rows)
    for r in rows:
        if r["iso2"]:
            f = reg.get(f"owid:2026-04:{r['iso2']}:{r['year']}")
            assert f.value == float(Decimal(r["carbon_intensity_gco2e_per_kwh"]) / 1000)
    world = {int(r["year"]): r for r in rows if r["owid_code"] == "OWID_WRL"}
    latest = max(world)
    f = reg.grid_intensity("WORLD", source="owid").factor
    assert f.year == latest
    assert f.value == float(Decimal(world[latest]["carbon_intensity_gco2e_per_kwh"]) / 1000)
    eu27 = next(r for r in rows if r["owid_code"] == "OWID_EU27" and r["year"] == "2024")
    eu = reg.grid_intensity("EU", 2024, source="owid").factor
    assert eu.value == float(Decimal(eu27["carbon_intensity_gco2e_per_kwh"]) / 1000)


def test_gb_2024_from_the_file(reg: FactorRegistry) -> None:
    cell = next(
        r["emissions_intensity_gco2_per_kwh"]
        for r in _ember()
        if r["iso2"] == "GB" and r["year"] == "2024"
    )
    assert cell == "210.89"  # the May 2025 file; co2.js (Aug 2025) later shows 215.79
    res = reg.grid_intensity("GB", 2024)
    assert res.factor.id == "ember:2025:GB:2024"
    assert res.warnings == ()
    assert res.factor.value == 0.21089


def test_alpha3_and_case_insensitive(reg: FactorRegistry) -> None:
    a = reg.grid_intensity("GB", 2024).factor
    assert reg.grid_intensity("gbr", 2024).factor == a
    assert reg.grid_intensity("Gb", 2024).factor == a
    assert reg.grid_intensity("UK", 2024).factor == a


def test_na_is_namibia(reg: FactorRegistry) -> None:
    res = reg.grid_intensity("NA", 2020)
    assert res.factor.id == "ember:2025:NA:2020"
    assert res.warnings == ()
    assert "Namibia" in res.factor.name
    assert reg.grid_intensity("NAM", 2020).factor == res.factor


def test_subnational_falls_back_to_country_with_warning(reg: FactorRegistry) -> None:
    res = reg.grid_intensity("US-CA", 2024)
    assert res.factor.id == "ember:2025:US:2024"
    assert len(res.warnings) == 1
    assert "US-CA" in res.warnings[0]
    assert "US" in res.warnings[0]
    assert reg.grid_intensity("GB-SCT", 2024).factor.id == "ember:2025:GB:2024"


def test_future_year_uses_latest_earlier_with_warning(reg: FactorRegistry) -> None:
    years = sorted(int(r["year"]) for r in _ember() if r["iso2"] == "US")
    res = reg.grid_intensity("US", 2030)
    assert res.factor.year == years[-1]
    assert len(res.warnings) == 1
    assert "2030" in res.warnings[0]
    both = reg.grid_intensity("US-CA", 2030)
    assert both.factor == res.factor
    assert len(both.warnings) == 2


def test_year_before_series_uses_earliest_later(reg: FactorRegistry) -> None:
    years = sorted(int(r["year"]) for r in _ember() if r["iso2"] == "SS")  # South Sudan, short
    res = reg.grid_intensity("SS", years[0] - 5)
    assert res.factor.year == years[0]
    assert "earliest later" in res.warnings[0]


def test_missing_year_inside_series_uses_nearest_earlier() -> None:
    # No shipped series has gaps, so exercise the year picker on a synthetic series.
    def fac(y: int) -> Factor:
        return Factor(id=f"x:{y}", source_id="x", name="x", value=float(y), unit="kg CO2e",
                      per_unit="kWh", region="XX", year=y)  # fmt: skip

    years = {y: fac(y) for y in (2018, 2019, 2022)}
    warnings: list[str] = []
    assert pick_year(years, 2021, "test", warnings).year == 2019
    assert "nearest earlier" in warnings[-1]
    assert "2021" in warnings[-1]
    assert pick_year(years, 2015, "test", warnings).year == 2018
    assert "earliest later" in warnings[-1]
    assert pick_year(years, 2022, "test", warnings).year == 2022
    assert len(warnings) == 2
    assert pick_year(years, None, "test", warnings).year == 2022
    assert len(warnings) == 2


def test_latest_year_when_none(reg: FactorRegistry) -> None:
    latest = {r["iso2"]: r["latest_year"] for r in _ember() if r["iso2"]}
    res = reg.grid_intensity("FR")
    assert res.warnings == ()
    assert res.factor.year == int(latest["FR"])


def test_unknown_region_falls_back_to_world(reg: FactorRegistry) -> None:
    for region in ("ZZ", "Atlantis", ""):
        res = reg.grid_intensity(region, 2024)
        assert res.factor.id == "ember:2025:WORLD:2024", region
        assert len(res.warnings) == 1
        assert "WORLD" in res.warnings[0]
    # A real country without Ember data (Antarctica) also falls back, saying why.
    res = reg.grid_intensity("AQ", 2024)
    assert res.factor.region == "WORLD"
    assert "AQ" in res.warnings[0]


def test_aggregates(reg: FactorRegistry) -> None:
    assert reg.grid_intensity("world", 2024).factor.id == "ember:2025:WORLD:2024"
    assert reg.grid_intensity("EU", 2024).factor.id == "ember:2025:EU:2024"
    assert reg.grid_intensity("North America", 2024).factor.id == "ember:2025:NORTH_AMERICA:2024"


def test_egrid_source(reg: FactorRegistry) -> None:
    res = reg.grid_intensity("US-CAMX", 2023, source="egrid")
    assert res.factor.id == "egrid:2023:CAMX"
    assert res.warnings == ()
    state = reg.grid_intensity("US-CA", 2024, source="egrid")
    assert state.factor.id == "egrid:2023:US"
    assert len(state.warnings) == 2
    with pytest.raises(FactorNotFound):
        reg.grid_intensity("FR", source="egrid")
    with pytest.raises(FactorNotFound):
        reg.grid_intensity("FR", source="nope")
