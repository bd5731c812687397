"""Engine behaviour: errors, vocabulary, units and caching, market-based electricity, overrides,
result shape, batch/columnar details, the llm_inference adapter."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

import ecotrack.calc.units as units
from ecotrack.calc import (
    CODES,
    CalcError,
    EstimateRequest,
    clear_caches,
    estimate,
    estimate_batch,
    estimate_columns,
    list_activities,
)
from ecotrack.calc.engine import PLANS
from ecotrack.factors import Override, get_registry


def est(activity: str, amount: Any, unit: str, **kw: Any):  # type: ignore[no-untyped-def]
    options = kw.pop("options", {})
    return estimate(EstimateRequest(activity, amount, unit, options=options, **kw))


def error(activity: str, amount: Any, unit: str, **kw: Any) -> CalcError:
    with pytest.raises(CalcError) as exc:
        est(activity, amount, unit, **kw)
    e = exc.value
    assert e.code in CODES
    assert e.errors
    assert {"loc", "msg", "type"} <= set(e.errors[0])
    assert e.errors[0]["type"] == e.code
    return e


# --------------------------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------------------------
def test_unknown_activity_lists_the_vocabulary() -> None:
    e = error("teleport", 1, "km")
    assert e.code == "unknown-activity"
    assert e.errors[0]["loc"] == ["activity"]
    assert "electricity" in e.detail
    assert "flight" in e.detail


@pytest.mark.parametrize(
    ("activity", "unit", "listed"),
    [
        ("electricity", "km", "kWh, MWh"),
        ("electricity", "not-a-unit", "kWh"),
        ("car", "passenger_km", "km, mile"),
        ("natural_gas", "km", "therm"),
        ("hotel_stay", "kg", "room_night"),
        ("waste", "m3", "tonne"),
        ("diet", "kg", "person_day"),
        ("cloud_compute", "kWh", "vCPU_hour"),
    ],
)
def test_wrong_unit_lists_accepted_units(activity: str, unit: str, listed: str) -> None:
    e = error(activity, 1, unit, options={"sector": "541511"} if activity == "spend" else {})
    assert e.code == "unit-not-accepted"
    assert e.errors[0]["loc"] == ["unit"]
    assert listed in e.errors[0]["msg"]


@pytest.mark.parametrize(
    "amount", [-1, -0.001, math.nan, math.inf, -math.inf, "12", None, True, [1]]
)
def test_invalid_amounts(amount: Any) -> None:
    e = error("electricity", amount, "kWh", region="GB")
    assert e.code == "invalid-amount"
    assert e.errors[0]["loc"] == ["amount"]


def test_zero_amount_is_fine() -> None:
    assert est("electricity", 0, "kWh", region="GB").co2e_kg == 0.0


@pytest.mark.parametrize(
    ("activity", "unit", "options", "loc"),
    [
        ("electricity", "kWh", {"renewable_share": 1.5}, ["options", "renewable_share"]),
        ("electricity", "kWh", {"renewable_share": "half"}, ["options", "renewable_share"]),
        (
            "electricity",
            "kWh",
            {"supplier_factor_kg_per_kwh": -0.1},
            ["options", "supplier_factor_kg_per_kwh"],
        ),
        (
            "electricity",
            "kWh",
            {"include_transmission_losses": "maybe"},
            ["options", "include_transmission_losses"],
        ),
        ("electricity", "kWh", {"colour": "green"}, ["options", "colour"]),
        (
            "electricity",
            "kWh",
            {"renewable_share": 0.5, "supplier_factor_kg_per_kwh": 0.1},
            ["options", "renewable_share"],
        ),
        ("car", "km", {"passengers": 0}, ["options", "passengers"]),
        ("car", "km", {"passengers": 1.5}, ["options", "passengers"]),
        ("car", "km", {"size": "huge"}, ["options", "size"]),
        ("waste", "kg", {"type": "asbestos", "treatment": "composting"}, ["options", "treatment"]),
        ("spend", "USD", {}, ["options", "sector"]),
        ("spend", "USD", {"sector": "54"}, ["options", "sector"]),
        ("diet", "person_day", {"diet": "carnivore"}, ["options", "diet"]),
        ("cloud_compute", "vCPU_hour", {"provider": "ibm"}, ["options", "provider"]),
    ],
)
def test_bad_option_values(activity: str, unit: str, options: dict, loc: list[str]) -> None:
    e = error(activity, 1, unit, region="GB", options=options)
    assert e.code == "invalid-option"
    assert e.errors[0]["loc"] == loc


def test_region_and_source_errors() -> None:
    assert error("electricity", 1, "kWh", region="ZZ").code == "region-not-supported"
    e = error("electricity", 1, "kWh", region="US-XXXX", source="egrid")
    assert e.code == "region-not-supported"
    assert "eGRID subregion" in e.detail
    assert (
        error("electricity", 1, "kWh", region="FR", source="desnz").code == "region-not-supported"
    )
    assert (
        error("electricity", 1, "kWh", region="GB", source="egrid").code == "region-not-supported"
    )
    assert (
        error("hotel_stay", 1, "room_night", region="NA").code == "region-not-supported"
    )  # Namibia
    e = error("electricity", 1, "kWh", region="GB", source="climatiq")
    assert e.code == "source-not-available"
    assert "desnz" in e.detail
    assert error("taxi", 1, "km", source="epa").code == "source-not-available"
    assert (
        error("car", 1, "km", options={"size": "small", "fuel": "cng"}).code == "factor-not-found"
    )
    assert error("spend", 1, "USD", options={"sector": "999999"}).code == "factor-not-found"
    assert error("electricity", 1, "kWh", region="GB", year="soon").errors[0]["loc"] == ["year"]


def test_sub_national_regions_fall_back_with_a_warning() -> None:
    us = est("electricity", 1, "kWh", region="US-CA")  # a state code, not an eGRID subregion
    assert us.factor.id == "egrid:2023:US"
    assert any("not an eGRID subregion" in w for w in us.warnings)
    scot = est("electricity", 1, "kWh", region="GB-SCT", year=2024)
    assert scot.factor.id == "desnz:2024:7_400_4000_5_1"
    assert any("sub-national" in w for w in scot.warnings)
    assert est("hotel_stay", 1, "room_night", region="FR-75").factor.name.endswith("France")


def test_error_is_json_and_picklable() -> None:
    import pickle

    e = error("electricity", -1, "kWh")
    assert json.loads(json.dumps(e.to_dict()))["code"] == "invalid-amount"
    assert pickle.loads(pickle.dumps(e)) == e  # noqa: S301 - our own bytes


# --------------------------------------------------------------------------------------------
# vocabulary
# --------------------------------------------------------------------------------------------
def test_vocabulary() -> None:
    acts = {a["name"]: a for a in list_activities()}
    expected = {
        "electricity", "natural_gas", "heating_oil", "lpg", "coal", "wood_pellets", "petrol",
        "diesel", "car", "motorbike", "taxi", "bus", "coach", "rail", "ferry", "flight", "waste",
        "water",
        "hotel_stay", "spend", "diet", "cloud_compute", "llm_inference",
    }  # fmt: skip
    assert set(acts) == expected
    for a in acts.values():
        assert a["category"] in {
            "electricity",
            "transportation",
            "heating",
            "waste",
            "lifestyle",
            "other",
        }
        assert a["units"]
        assert a["sources"]
        assert a["description"]
        assert a["default_source"]
        for u in a["units"]:
            assert units.parse_unit(u) is not None, u
        for o in a["options"]:
            assert {"name", "type", "description", "default"} <= set(o)
    assert acts["electricity"]["default_source"]["GB"] == "desnz"
    flight_opts = {o["name"]: o for o in acts["flight"]["options"]}
    assert flight_opts["radiative_forcing"]["default"] is True
    assert set(flight_opts["cabin"]["choices"]) == {
        "economy",
        "premium_economy",
        "business",
        "first",
        "average",
    }
    json.dumps(list_activities())


# --------------------------------------------------------------------------------------------
# units and caches
# --------------------------------------------------------------------------------------------
def test_unit_conversions() -> None:
    assert units.multiplier("mile", "km") == 1.609344
    assert units.multiplier("km", "mile") == pytest.approx(1 / 1.609344, rel=1e-14)
    assert units.multiplier("gallon", "L") == 3.785411784
    assert units.multiplier("L", "m**3") == 0.001  # pint's float noise trimmed
    assert units.multiplier("MWh", "kWh") == 1000.0
    assert units.multiplier("therm", "kWh") == pytest.approx(29.3071, rel=1e-5)
    assert units.multiplier("MMBtu", "kWh") == pytest.approx(293.071, rel=1e-5)
    assert units.multiplier("kUSD", "USD") == 1000.0
    assert units.try_multiplier("EUR", "USD") is None  # currencies never convert implicitly
    assert units.try_multiplier("km", "passenger_km") is None
    for spelling in (
        "passenger.km",
        "passenger-km",
        "kwh",
        "m3",
        "litres",
        "room-nights",
        "vCPU-hours",
    ):
        assert units.parse_unit(spelling) is not None, spelling
    with pytest.raises(CalcError) as exc:
        units.multiplier("kg", "kWh", accepted=("kWh", "MWh"))
    assert exc.value.code == "unit-not-accepted"
    assert "kWh, MWh" in exc.value.detail


def test_conversions_are_computed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    units._multipliers.pop(("furlong", "km"), None)
    calls = 0
    real = units.ureg.Quantity

    def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(units.ureg, "Quantity", counting)
    for _ in range(5):
        assert units.try_multiplier("furlong", "km") == pytest.approx(0.201168, rel=1e-5)
    assert calls == 1


def test_plans_are_cached_per_key(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_caches()
    reg = get_registry()
    calls = 0
    real = reg.desnz_lookup

    def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(reg, "desnz_lookup", counting)
    for x in range(100):
        est("electricity", x, "kWh", region="GB", year=2024)
    assert calls == 1
    estimate_batch([EstimateRequest("electricity", x, "kWh", "GB", 2024) for x in range(100)])
    assert calls == 1
    assert PLANS.size() >= 1


# --------------------------------------------------------------------------------------------
# electricity: market-based
# --------------------------------------------------------------------------------------------
def test_renewable_share_scales_the_location_factor() -> None:
    loc = est("electricity", 1000, "kWh", region="GB", year=2024)
    half = est("electricity", 1000, "kWh", region="GB", year=2024, options={"renewable_share": 0.5})
    assert half.co2e_kg == pytest.approx(0.5 * loc.co2e_kg, rel=1e-15)
    assert half.metrics["location_based_co2e_kg"] == pytest.approx(loc.co2e_kg)
    assert half.methodology == "electricity-market"
    assert any("renewable_share" in w for w in half.warnings)
    full = est("electricity", 1000, "kWh", region="GB", options={"renewable_share": 1})
    assert full.co2e_kg == 0.0


def test_supplier_factor_replaces_the_grid_factor() -> None:
    r = est("electricity", 1000, "kWh", region="DE", options={"supplier_factor_kg_per_kwh": 0.05})
    assert r.co2e_kg == pytest.approx(50.0)
    assert r.factor.id == "user:supplier-factor"
    assert r.metrics["location_based_co2e_kg"] > 0
    assert any("Location-based for comparison" in s.text for s in r.explanation)


# --------------------------------------------------------------------------------------------
# overrides
# --------------------------------------------------------------------------------------------
def test_override_view_activity_and_replacement() -> None:
    reg = get_registry()
    view = reg.with_overrides(
        [
            Override(
                id="ppa",
                value=0.05,
                per_unit="kWh",
                activity="electricity",
                region="GB",
                name="Acme PPA",
            ),
            Override(id="gas", value=0.2, per_unit="kWh", replaces="desnz:2024:1_100_1004_6_1"),
        ],
        org="acme",
    )
    r = estimate(EstimateRequest("electricity", 100, "MWh", region="GB"), factors=view)
    assert r.factor.id == "org:acme:ppa"
    assert r.co2e_kg == pytest.approx(100_000 * 0.05)
    assert any("override" in w for w in r.warnings)
    # other regions still use the library
    fr = estimate(EstimateRequest("electricity", 1, "kWh", region="FR"), factors=view)
    assert fr.factor.id.startswith("ember:")
    gas = estimate(EstimateRequest("natural_gas", 10, "kWh", region="GB", year=2024), factors=view)
    assert gas.factor.id == "org:acme:gas"
    assert gas.co2e_kg == pytest.approx(2.0)
    assert any("replaces" in w for w in gas.warnings)
    # the plain registry is unaffected (plans are cached per registry/view)
    assert est("natural_gas", 10, "kWh", region="GB", year=2024).co2e_kg == pytest.approx(1.829)
    # views without the reference lookups still resolve regions and airports
    fl = estimate(
        EstimateRequest(
            "flight", 1, "passenger", region="USA", options={"from": "LHR", "to": "JFK"}
        ),
        factors=view,
    )
    assert fl.factor.id.startswith("desnz:")


# --------------------------------------------------------------------------------------------
# result shape
# --------------------------------------------------------------------------------------------
def test_result_to_dict_is_complete_json() -> None:
    r = est("car", 100, "mile", region="GB", year=2024, options={"fuel": "petrol", "passengers": 2})
    d = json.loads(json.dumps(r.to_dict()))
    assert d["co2e_kg"] == r.co2e_kg
    assert d["factor"]["id"] == r.factor.id
    assert d["factor"]["licence"] == "OGL-UK-3.0"
    assert d["factor"]["source_id"] == "desnz:2024"
    assert d["factor"]["edition"] == "2024 v1.1"
    assert d["range"]["low"] <= d["co2e_kg"] <= d["range"]["high"]
    assert "±20 %" in d["range"]["basis"]
    assert d["explanation"][-1]["value"] == pytest.approx(r.co2e_kg)
    assert d["unit_normalised"] == "mile"
    assert d["amount_normalised"] == 100
    assert set(d["gases"]) == {"co2", "ch4", "n2o"}
    assert d["methodology"] == "car"


def test_request_from_mapping() -> None:
    r = estimate({"activity": "bus", "amount": 10, "unit": "km", "options": {"type": "london"}})
    assert r.factor.name.endswith("Local London bus")


def test_batch_keeps_order_and_isolates_errors() -> None:
    items: list[Any] = [
        {"activity": "electricity", "amount": 1, "unit": "kWh", "region": "GB", "year": 2024},
        {"activity": "electricity", "amount": -5, "unit": "kWh", "region": "GB", "year": 2024},
        {"activity": "nope", "amount": 1, "unit": "kWh"},
        "garbage",
        {"activity": "electricity", "amount": 2, "unit": "kWh", "region": "GB", "year": 2024},
        {"activity": "car", "amount": 1, "unit": "km", "options": {"fuel": ["petrol"]}},
    ]
    out = estimate_batch(items)
    assert [type(o).__name__ for o in out] == [
        "EstimateResult", "CalcError", "CalcError", "CalcError", "EstimateResult", "CalcError",
    ]  # fmt: skip
    assert out[0].co2e_kg == 0.20705
    assert out[4].co2e_kg == 2 * 0.20705
    assert [o.code for o in out if isinstance(o, CalcError)] == [
        "invalid-amount", "unknown-activity", "invalid-option", "invalid-option",
    ]  # fmt: skip


def test_columns_broadcast_scalars_and_report_errors() -> None:
    n = 1000
    amounts = np.linspace(0, 999, n)
    res = estimate_columns("electricity", amounts, "kWh", region="GB", year=2024)
    assert res.error_count == 0
    assert len(res) == n
    assert np.array_equal(res.co2e_kg, amounts * 0.20705)
    assert set(res.factor_id.tolist()) == {"desnz:2024:7_400_4000_5_1"}
    mixed = estimate_columns(
        ["electricity", "electricity", "car", "nope"],
        [1.0, -1.0, 10.0, 1.0],
        ["kWh", "kWh", "km", "km"],
        region=["GB", "GB", None, None],
    )
    assert mixed.error_code.tolist() == [None, "invalid-amount", None, "unknown-activity"]
    assert math.isnan(mixed.co2e_kg[1])
    assert math.isnan(mixed.co2e_kg[3])
    assert isinstance(mixed.row(1), CalcError)
    assert mixed.row(1).code == "invalid-amount"
    bools = estimate_columns("electricity", [True, 1.0], "kWh", region="GB")
    assert bools.error_code.tolist() == ["invalid-amount", None]


# --------------------------------------------------------------------------------------------
# llm_inference adapter (the engine itself is tested in test_llm_*.py)
# --------------------------------------------------------------------------------------------
def test_llm_inference_adapter() -> None:
    from ecotrack.calc.llm import estimate_llm

    imp = estimate_llm(provider="openai", model="gpt-4o-mini", output_tokens=500)
    r = est("llm_inference", 500, "token", options={"provider": "openai", "model": "gpt-4o-mini"})
    assert r.co2e_kg == imp.gwp_kg.value
    assert (r.range.low, r.range.high) == (imp.gwp_kg.min, imp.gwp_kg.max)
    assert r.metrics["energy_kwh"] == imp.energy_kwh.value
    assert r.metrics["water_l"] == imp.water_l.value
    assert r.factor.id.startswith("ecologits:0.11.3:mix:")
    assert r.methodology == imp.methodology
    assert r.explanation
    assert r.warnings
    batch = estimate_batch(
        [
            EstimateRequest(
                "llm_inference",
                500,
                "token",
                options={"provider": "openai", "model": "gpt-4o-mini"},
            )
        ]
    )
    assert batch[0] == r
    assert (
        error("llm_inference", 10, "token", options={"provider": "openai", "model": "gpt-99"}).code
        == "model-not-registered"
    )
    e = error(
        "llm_inference",
        10,
        "token",
        options={"provider": "openai", "model": "gpt-4o-mini", "zone": "QQQ"},
    )
    assert e.code == "zone-not-registered"
    assert e.errors[0]["loc"] == ["options", "zone"]
    assert (
        error(
            "llm_inference", 10.5, "token", options={"provider": "openai", "model": "gpt-4o-mini"}
        ).code
        == "invalid-amount"
    )
