"""Hypothesis properties: linearity, unit round trips, batch == scalar, columnar == scalar,
low <= value <= high."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecotrack.calc import CalcError, EstimateRequest, estimate, estimate_batch, estimate_columns

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# (activity, unit, region, year, source, options) — a mix over every family
KEYS: list[tuple[str, str, str | None, int | None, str | None, dict[str, Any]]] = [
    ("electricity", "kWh", "GB", 2024, None, {}),
    ("electricity", "MWh", "US-CAMX", None, None, {"include_transmission_losses": True}),
    ("electricity", "kWh", "FR", None, None, {}),
    ("electricity", "kWh", "DE", 2023, "owid", {}),
    ("electricity", "kWh", "GB", 2025, None, {"renewable_share": 0.3}),
    ("electricity", "kWh", "GB", 2025, None, {"supplier_factor_kg_per_kwh": 0.1}),
    ("natural_gas", "therm", "GB", 2023, None, {}),
    ("natural_gas", "scf", "US", None, None, {}),
    ("heating_oil", "L", None, None, None, {}),
    ("petrol", "gallon", None, None, None, {}),
    ("diesel", "L", "US", None, None, {}),
    ("car", "km", "GB", 2024, None, {"fuel": "diesel", "size": "large", "passengers": 2}),
    ("car", "mile", None, None, "epa", {}),
    ("motorbike", "km", None, None, None, {}),
    ("taxi", "passenger_km", None, None, None, {}),
    ("bus", "km", None, 2024, None, {}),
    ("coach", "mile", None, None, None, {}),
    ("rail", "passenger_mile", None, None, None, {"type": "international"}),
    ("ferry", "km", None, None, None, {"type": "car_passenger"}),
    ("flight", "km", None, 2025, None, {"haul": "short", "cabin": "business"}),
    ("flight", "passenger", None, 2024, None, {"from": "LHR", "to": "JFK"}),
    ("waste", "kg", None, 2024, None, {"type": "food", "treatment": "anaerobic_digestion"}),
    ("water", "L", None, None, None, {"kind": "treatment"}),
    ("hotel_stay", "room_night", "JP", None, None, {}),
    ("spend", "USD", None, None, None, {"sector": "541511"}),
    ("diet", "person_year", None, None, None, {"diet": "vegetarian"}),
    ("cloud_compute", "vCPU_hour", None, None, None, {"provider": "gcp", "region": "europe-west2"}),
    # errors
    ("electricity", "km", "GB", None, None, {}),
    ("teleportation", "km", None, None, None, {}),
    ("car", "km", None, None, None, {"fuel": "steam"}),
    ("hotel_stay", "room_night", "AR", None, None, {}),
]

amounts = st.one_of(
    st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False),
    st.integers(min_value=0, max_value=10**9),
    st.sampled_from([-1.0, math.nan, math.inf, -math.inf]),
)
key_index = st.integers(min_value=0, max_value=len(KEYS) - 1)


def req(i: int, amount: float) -> EstimateRequest:
    a, u, r, y, s, o = KEYS[i]
    return EstimateRequest(a, amount, u, r, y, s, o)


def scalar(r: EstimateRequest) -> Any:
    try:
        return estimate(r)
    except CalcError as exc:
        return exc


@SETTINGS
@given(st.lists(st.tuples(key_index, amounts), min_size=1, max_size=40))
def test_batch_equals_scalar(items: list[tuple[int, float]]) -> None:
    reqs = [req(i, a) for i, a in items]
    batch = estimate_batch(reqs)
    assert len(batch) == len(reqs)
    for r, b in zip(reqs, batch, strict=True):
        s = scalar(r)
        assert type(s) is type(b)
        assert s == b  # bit-for-bit: same plan, same float multiplication
        if not isinstance(s, CalcError):
            assert s.to_dict() == b.to_dict()  # type: ignore[union-attr]


@SETTINGS
@given(st.lists(st.tuples(key_index, amounts), min_size=1, max_size=40))
def test_columnar_equals_scalar(items: list[tuple[int, float]]) -> None:
    reqs = [req(i, a) for i, a in items]
    cols = estimate_columns(
        [r.activity for r in reqs],
        np.array([float(r.amount) for r in reqs]),
        [r.unit for r in reqs],
        [r.region for r in reqs],
        [r.year for r in reqs],
        [r.source for r in reqs],
        [r.options for r in reqs],
    )
    for i, r in enumerate(reqs):
        s = scalar(r)
        if isinstance(s, CalcError):
            assert cols.error_code[i] == s.code
            assert math.isnan(cols.co2e_kg[i])
            assert cols.row(i) == s
        else:
            assert cols.error_code[i] is None
            assert cols.co2e_kg[i] == s.co2e_kg
            assert cols.low[i] == s.low
            assert cols.high[i] == s.high
            assert cols.factor_id[i] == s.factor.id
            assert cols.row(i) == s


@SETTINGS
@given(key_index, st.floats(min_value=0, max_value=1e9), st.floats(min_value=0, max_value=1e3))
def test_linear_in_amount_and_range_brackets_value(i: int, a: float, k: float) -> None:
    try:
        r1 = estimate(req(i, a))
    except CalcError:
        return
    rk = estimate(req(i, a * k))
    assert rk.co2e_kg == pytest.approx(k * r1.co2e_kg, rel=1e-12, abs=1e-300)
    assert r1.range.low <= r1.co2e_kg <= r1.range.high
    assert rk.range.low <= rk.co2e_kg <= rk.range.high
    if r1.gases:
        if r1.source == "useeio":  # only CO2/CH4/N2O of the 18 gases are split out
            assert sum(r1.gases.values()) <= r1.co2e_kg * 1.01 + 1e-12
        else:
            assert sum(r1.gases.values()) == pytest.approx(r1.co2e_kg, rel=0.02, abs=1e-9)
    for m, v in r1.metrics.items():
        assert rk.metrics[m] == pytest.approx(k * v, rel=1e-12, abs=1e-300)


ROUND_TRIPS = [
    # (activity, options, unit a, unit b, b per a)
    ("electricity", {}, "kWh", "MWh", 1e-3),
    ("electricity", {}, "MWh", "GJ", 3.6),
    ("bus", {}, "km", "mile", 1 / 1.609344),
    ("rail", {}, "passenger_km", "passenger_mile", 1 / 1.609344),
    ("flight", {"haul": "long"}, "km", "mile", 1 / 1.609344),
    ("petrol", {}, "L", "gallon", 1 / 3.785411784),
    ("diesel", {}, "gallon", "L", 3.785411784),
    ("natural_gas", {}, "kWh", "MWh", 1e-3),
    ("waste", {}, "tonne", "kg", 1000.0),
    ("spend", {"sector": "541511"}, "USD", "kUSD", 1e-3),
]


@SETTINGS
@given(st.sampled_from(ROUND_TRIPS), st.floats(min_value=1e-6, max_value=1e9))
def test_unit_round_trips(case: tuple[str, dict[str, Any], str, str, float], x: float) -> None:
    activity, options, ua, ub, ratio = case
    a = estimate(EstimateRequest(activity, x, ua, region="GB", options=options))
    b = estimate(EstimateRequest(activity, x * ratio, ub, region="GB", options=options))
    assert a.factor.id == b.factor.id
    assert a.co2e_kg == pytest.approx(b.co2e_kg, rel=1e-12)


@SETTINGS
@given(
    st.sampled_from(["petrol", "diesel", "unknown", "hybrid"]),
    st.floats(min_value=1e-3, max_value=1e6),
)
def test_car_km_and_mile_rows_agree(fuel: str, x: float) -> None:
    # DESNZ publishes separate km and mile rows, each rounded to 5 d.p.: they agree to ~1e-4
    km = estimate(EstimateRequest("car", x * 1.609344, "km", year=2024, options={"fuel": fuel}))
    mi = estimate(EstimateRequest("car", x, "mile", year=2024, options={"fuel": fuel}))
    assert km.factor.id != mi.factor.id
    assert km.co2e_kg == pytest.approx(mi.co2e_kg, rel=1e-3)
