"""DESNZ/Defra flat files 2023-2025: every value exact, gas splits, names, units, lookups."""

from __future__ import annotations

from collections import defaultdict

import pytest

from ecotrack.factors import FactorNotFound
from ecotrack.factors.registry import FactorRegistry

from ._util import read_csv

YEARS = (2023, 2024, 2025)
GAS = {
    "kg CO2e of CO2 per unit": "co2",
    "kg CO2e of CH4 per unit": "ch4",
    "kg CO2e of N2O per unit": "n2o",
}


def _rows(year: int) -> list[dict[str, str]]:
    return read_csv("desnz", f"desnz_ghg_conversion_factors_{year}_flat.csv")


@pytest.mark.parametrize("year", YEARS)
def test_every_row_value_is_exact(reg: FactorRegistry, year: int) -> None:
    col = f"GHG Conversion Factor {year}"
    with_value = 0
    for r in _rows(year):
        fid = f"desnz:{year}:{r['ID']}"
        if r[col] == "":
            with pytest.raises(FactorNotFound):
                reg.get(fid)
            continue
        with_value += 1
        f = reg.get(fid)
        assert f.value == float(r[col]), fid
        assert f.source_id == f"desnz:{year}"
        assert f.region == "GB"
        assert f.year == year
        assert f.scope == r["Scope"]
        parts = [r["Level 1"], r["Level 2"], r["Level 3"], r["Level 4"], r["Column Text"]]
        assert f.name == " > ".join(p for p in parts if p)
        assert f"'{r['UOM']}'" in f.reference
        assert r["ID"] in f.reference
        if r["GHG/Unit"].startswith("kg CO2e"):
            assert f.unit == "kg CO2e"
            assert f.gwp_set == "AR5"
        else:
            assert f.unit == "kWh"
            assert f.gwp_set is None
    assert len(reg.search(source=f"desnz:{year}", limit=0)[0]) == 0
    assert reg.search(source=f"desnz:{year}", limit=0)[1] == with_value


@pytest.mark.parametrize(
    ("year", "rows", "empty"), [(2023, 8038, 1122), (2024, 8740, 1711), (2025, 8740, 1711)]
)
def test_row_counts_match_provenance(reg: FactorRegistry, year: int, rows: int, empty: int) -> None:
    all_rows = list(reg.desnz_rows(year))
    assert len(all_rows) == rows
    assert sum(1 for r in all_rows if r.value is None) == empty


@pytest.mark.parametrize("year", YEARS)
def test_total_rows_carry_the_per_gas_rows(reg: FactorRegistry, year: int) -> None:
    # Group independently by ID prefix (ID minus the _1.._4 suffix), not by the library's key.
    col = f"GHG Conversion Factor {year}"
    groups: dict[str, dict[str, float]] = defaultdict(dict)
    totals = []
    for r in _rows(year):
        prefix = r["ID"].rsplit("_", 1)[0]
        if r["GHG/Unit"] in GAS and r[col]:
            groups[prefix][GAS[r["GHG/Unit"]]] = float(r[col])
        elif r["GHG/Unit"] == "kg CO2e" and r[col]:
            totals.append((prefix, r["ID"]))
    assert totals
    for prefix, rid in totals:
        assert reg.get(f"desnz:{year}:{rid}").gas_split == groups.get(prefix, {}), rid


def test_uk_electricity_2024_matches_research_note(reg: FactorRegistry) -> None:
    f = reg.get("desnz:2024:7_400_4000_5_1")
    assert f.value == 0.20705
    assert f.per_unit == "kWh"
    assert f.scope == "Scope 2"
    assert f.gas_split == {"co2": 0.20493, "ch4": 0.0009, "n2o": 0.00122}
    assert "electricity" in f.tags


def test_2023_keeps_stored_value_and_exposes_published_rounding(reg: FactorRegistry) -> None:
    f = reg.desnz_lookup(
        2023, level1="UK electricity", level2="Electricity generated",
        level3="Electricity: UK", level4="kWh", uom="kWh",
    )  # fmt: skip
    assert f.value == 0.207074288590604  # stored cell (PROVENANCE §1)
    row = next(r for r in reg.desnz_rows(2023) if r.factor_id == f.id)
    assert row.published == 0.20707
    row24 = next(r for r in reg.desnz_rows(2024) if r.id == "7_400_4000_5_1")
    assert row24.published == row24.value == 0.20705


def test_lookup_natural_gas_gross_cv_and_net_cv(reg: FactorRegistry) -> None:
    gross = reg.desnz_lookup(
        2024, level1="Fuels", level2="Gaseous fuels", level3="Natural gas", uom="kWh (Gross CV)"
    )
    assert gross.id == "desnz:2024:1_100_1004_6_1"
    assert gross.value == 0.1829
    assert {"natural_gas", "gross_cv", "total"} <= set(gross.tags)
    net = reg.desnz_lookup(
        2024, level1="fuels", level2="gaseous fuels", level3="natural gas", uom="kWh (net cv)"
    )
    assert net.value == 0.20264
    assert "net_cv" in net.tags
    co2 = reg.desnz_lookup(
        2024, level1="Fuels", level2="Gaseous fuels", level3="Natural gas",
        uom="kWh (Gross CV)", ghg="kg CO2e of CO2 per unit",
    )  # fmt: skip
    assert co2.gas_split == {"co2": co2.value}


def test_lookup_miss_lists_close_candidates(reg: FactorRegistry) -> None:
    with pytest.raises(FactorNotFound) as exc:
        reg.desnz_lookup(
            2024, level1="Fuels", level2="Gaseous fuels", level3="Natural gaz", uom="kWh"
        )
    assert "Natural gas" in str(exc.value)
    assert exc.value.candidates
    assert isinstance(exc.value, KeyError)


def test_lookup_of_row_without_value_says_so(reg: FactorRegistry) -> None:
    empty = next(r for r in reg.desnz_rows(2024) if r.value is None)
    with pytest.raises(FactorNotFound, match="no value"):
        reg.desnz_lookup(
            2024, level1=empty.level1, level2=empty.level2, level3=empty.level3,
            level4=empty.level4, column_text=empty.column_text, uom=empty.uom, ghg=empty.ghg_unit,
        )  # fmt: skip


def test_flights_rf_and_activity_tags(reg: FactorRegistry) -> None:
    with_rf, _ = reg.search("long-haul economy", source="desnz:2024", activity="flight", limit=500)
    assert with_rf
    assert all(f.per_unit == "passenger_km" for f in with_rf)
    cts = {t for f in with_rf for t in f.tags} & {"with_rf", "without_rf"}
    assert cts == {"with_rf", "without_rf"}
    for activity in ("car", "rail", "bus", "waste", "water", "hotel_stay", "electricity"):
        assert reg.search(source="desnz:2025", activity=activity, limit=1)[1] > 0, activity


def test_unknown_year_raises(reg: FactorRegistry) -> None:
    with pytest.raises(FactorNotFound):
        reg.desnz_lookup(2019, level1="Fuels", uom="kWh")
