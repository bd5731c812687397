"""USEEIO v1.3.0 spend factors: values, gas split, lookups."""

from __future__ import annotations

import math

import pytest

from ecotrack.factors import FactorNotFound
from ecotrack.factors.registry import FactorRegistry

from ._util import read_csv

FOLDER = "useeio_v1_3_0"


def test_every_naics_value(reg: FactorRegistry) -> None:
    rows = read_csv(FOLDER, "SupplyChainGHGEmissionFactors_v1.3.0_NAICS_CO2e_USD2022.csv")
    assert len(rows) == 1016
    for r in rows:
        code = r["2017 NAICS Code"]
        f = reg.useeio(code)
        assert f.id == f"useeio:1.3.0:{code}"
        assert f.value == float(r["Supply Chain Emission Factors with Margins"])
        assert f.per_unit == "USD"
        assert f.region == "US"
        assert f.gwp_set == "AR5"
        g = reg.useeio(int(code), margins=False)
        assert g.value == float(r["Supply Chain Emission Factors without Margins"])


def test_gas_split_uses_ar5(reg: FactorRegistry) -> None:
    rows = read_csv(FOLDER, "SupplyChainGHGEmissionFactors_v1.3.0_NAICS_byGHG_USD2022.csv")
    gwp = {"Carbon dioxide": ("co2", 1), "Methane": ("ch4", 28), "Nitrous oxide": ("n2o", 265)}
    checked = 0
    for r in rows:
        if r["GHG"] in gwp and r["2017 NAICS Code"].startswith("11"):
            key, factor = gwp[r["GHG"]]
            split = reg.useeio(r["2017 NAICS Code"]).gas_split
            kg = float(r["Supply Chain Emission Factors with Margins"])
            assert math.isclose(split[key], kg * factor, rel_tol=1e-12)
            checked += 1
    assert checked > 100


def test_unknown_code_lists_codes_below(reg: FactorRegistry) -> None:
    with pytest.raises(FactorNotFound, match="111110 Soybean Farming"):
        reg.useeio("1111")
    with pytest.raises(FactorNotFound):
        reg.useeio("999999")


def test_title_search(reg: FactorRegistry) -> None:
    hits = reg.useeio_search("soybean farming")
    assert [f.id for f in hits] == ["useeio:1.3.0:111110", "useeio:1.3.0:111120"]
    assert hits[1].name.startswith("Oilseed (except Soybean) Farming")
    assert all("spend" in f.tags for f in reg.useeio_search("cement"))
