"""Organisation overrides take precedence and say so."""

from __future__ import annotations

import pytest

from ecotrack.factors import FactorView, Override, OverrideSet
from ecotrack.factors.registry import FactorRegistry

GAS = "desnz:2024:1_100_1004_6_1"


@pytest.fixture
def view(reg: FactorRegistry) -> FactorView:
    return reg.with_overrides(
        OverrideSet(
            "acme",
            [
                Override(
                    id="ppa-gb-2024",
                    value=0.05,
                    per_unit="kWh",
                    activity="electricity",
                    region="GB",
                    year=2024,
                    name="Acme PPA",
                ),  # fmt: skip
                Override(id="grid-any", value=0.3, per_unit="kWh", activity="electricity"),
                Override(id="gas", value=0.19, per_unit="kWh", replaces=GAS, name="Acme gas"),
                Override(id="camx", value=0.2, per_unit="kWh", replaces="egrid:2023:CAMX"),
            ],
        )
    )


def test_replaced_factor_is_served_from_the_override(reg: FactorRegistry, view: FactorView) -> None:
    f = view.get(GAS)
    assert f.value == 0.19
    assert f.source_id == "org:acme"
    assert f.id == "org:acme:gas"
    res = view.resolve(GAS)
    assert res.warnings
    assert GAS in res.warnings[0]
    assert "override" in res.warnings[0]
    assert reg.get(GAS).value == 0.1829  # the library itself is untouched
    looked_up = view.desnz_lookup(
        2024, level1="Fuels", level2="Gaseous fuels", level3="Natural gas", uom="kWh (Gross CV)"
    )
    assert looked_up.factor.id == "org:acme:gas"
    assert looked_up.warnings
    assert view.egrid("CAMX").factor.value == 0.2
    assert view.egrid("ERCT").factor.id == "egrid:2023:ERCT"
    assert view.egrid("ERCT").warnings == ()
    assert view.get("org:acme:gas") == f


def test_activity_override_precedence(view: FactorView) -> None:
    specific = view.grid_intensity("GB", 2024)
    assert specific.factor.id == "org:acme:ppa-gb-2024"
    assert "override" in specific.warnings[0]
    sub = view.grid_intensity("GB-SCT", 2024)
    assert sub.factor.id == "org:acme:ppa-gb-2024"
    other = view.grid_intensity("FR", 2024)
    assert other.factor.id == "org:acme:grid-any"
    older = view.grid_intensity("GB", 2023)
    assert older.factor.id == "org:acme:grid-any"


def test_without_matching_override_library_wins(reg: FactorRegistry) -> None:
    v = reg.with_overrides([Override(id="x", value=1.0, per_unit="kWh", activity="electricity",
                                     region="DE")], org="beta")  # fmt: skip
    res = v.grid_intensity("FR", 2024)
    assert res.factor.id == "ember:2025:FR:2024"
    assert res.warnings == ()
    assert v.grid_intensity("deu", 2024).factor.id == "org:beta:x"


def test_search_and_sources_include_overrides(view: FactorView) -> None:
    page, total = view.search("natural gas", source="desnz:2024", limit=5)
    assert GAS not in [f.id for f in page]
    hits, _ = view.search("acme", limit=10)
    assert {f.id for f in hits} >= {"org:acme:gas", "org:acme:ppa-gb-2024"}
    assert view.sources()[0].id == "org:acme"
    assert view.source("org:acme").dataset == "org"
    elec, _ = view.search(activity="electricity", region="GB", limit=3)
    assert elec[0].id == "org:acme:ppa-gb-2024"


def test_invalid_overrides_are_rejected() -> None:
    with pytest.raises(ValueError, match="finite"):
        OverrideSet("acme", [Override(id="x", value=-1, per_unit="kWh", activity="electricity")])
    with pytest.raises(ValueError, match="replaces= or activity="):
        OverrideSet("acme", [Override(id="x", value=1, per_unit="kWh")])
    with pytest.raises(ValueError, match="Invalid override id"):
        OverrideSet("acme", [Override(id="a b", value=1, per_unit="kWh", replaces="y")])
    with pytest.raises(ValueError, match="Two overrides"):
        OverrideSet("acme", [Override(id="a", value=1, per_unit="kWh", replaces="y"),
                             Override(id="b", value=2, per_unit="kWh", replaces="y")])  # fmt: skip
