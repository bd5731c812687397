"""Airports, countries and GWP100 values."""

from __future__ import annotations

import pytest

from ecotrack.factors import ReferenceNotFound
from ecotrack.factors.registry import FactorRegistry

from ._util import read_csv


def test_gwp_values(reg: FactorRegistry) -> None:
    assert reg.gwp("CH4") == 28
    assert reg.gwp("N2O") == 265
    assert reg.gwp("CO2") == 1
    assert reg.gwp("CH4_fossil", "AR6") == 29.8
    assert reg.gwp("CH4_non_fossil", "ar6") == 27.0
    assert reg.gwp("CH4_fossil", "AR5") == 30
    assert reg.gwp("N2O", "AR4") == 298
    assert reg.gwp("SF6", "AR5") == 23500
    assert reg.gwp("hfc-134a") == 1300
    assert reg.gwp("R-410A") == 1924  # EPA Hub Table 12 blend (AR5)
    with pytest.raises(ReferenceNotFound):
        reg.gwp("HFC-41", "AR4")  # empty AR4 cell
    with pytest.raises(ReferenceNotFound):
        reg.gwp("R-410A", "AR6")
    with pytest.raises(ReferenceNotFound):
        reg.gwp("CH4", "AR7")


def test_ar5_matches_epa_table_11(reg: FactorRegistry) -> None:
    # PROVENANCE §8: every AR5 value equals EPA Hub Table 11.
    ipcc = {r["formula"]: r for r in read_csv("ipcc", "ipcc_gwp100_ar4_ar5_ar6.csv")}
    for r in read_csv("epa_hub_2025", "t11_gwp_ar5.csv"):
        gid = ipcc[r["chemical_formula"]]["gas_id"]
        assert reg.gwp(gid, "AR5") == float(r["gwp100"]), gid


def test_airports(reg: FactorRegistry) -> None:
    rows = {r["iata_code"]: r for r in read_csv("ourairports", "ourairports_airports_iata.csv")}
    lhr = reg.airport("lhr")
    assert lhr.country == "GB"
    assert lhr.municipality == rows["LHR"]["municipality"]
    assert lhr.lat == float(rows["LHR"]["latitude_deg"])
    assert lhr.lon == float(rows["LHR"]["longitude_deg"])
    namibian = [r for r in rows.values() if r["iso_country"] == "NA"]
    assert namibian
    for r in namibian:
        assert reg.airport(r["iata_code"]).country == "NA"  # Namibia, a string
    na_continent = next(r for r in rows.values() if r["continent"] == "NA")
    assert reg.airport(na_continent["iata_code"]).country != ""
    with pytest.raises(ReferenceNotFound):
        reg.airport("Q1Q")


def test_countries(reg: FactorRegistry) -> None:
    na = reg.country("NA")
    assert na.name == "Namibia"
    assert na.alpha3 == "NAM"
    assert na.continent_code == "AF"
    assert reg.country("nam") == na
    assert reg.to_alpha2("GBR") == "GB"
    assert reg.to_alpha2("uk") == "GB"
    assert reg.to_alpha2("XKX") == "XK"
    assert reg.country("XK").name == "Kosovo"
    assert reg.country("US").continent_code == "NA"  # North America: the same string
    rows = read_csv("iso3166", "iso3166_countries.csv")
    assert len(rows) == 249
    for r in rows:
        assert reg.to_alpha2(r["alpha3"]) == r["alpha2"]
    with pytest.raises(ReferenceNotFound):
        reg.country("ZZZ")
