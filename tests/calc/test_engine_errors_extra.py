"""Amounts beyond any real activity are refused, so every result stays finite."""

from __future__ import annotations

import pytest

from ecotrack.calc import CalcError, EstimateRequest, estimate, estimate_batch
from ecotrack.calc.engine import MAX_AMOUNT


def test_an_amount_above_the_cap_is_invalid() -> None:
    ok = estimate(EstimateRequest("electricity", MAX_AMOUNT, "kWh", region="GB", year=2024))
    assert ok.co2e_kg == pytest.approx(MAX_AMOUNT * 0.20705)
    with pytest.raises(CalcError) as exc:
        estimate(EstimateRequest("electricity", MAX_AMOUNT * 10, "kWh", region="GB", year=2024))
    assert exc.value.code == "invalid-amount"
    assert exc.value.errors[0]["loc"] == ["amount"]


def test_the_batch_refuses_the_same_amounts_item_by_item() -> None:
    out = estimate_batch(
        [
            EstimateRequest("electricity", 1.0, "kWh", region="GB", year=2024),
            EstimateRequest("electricity", 1e300, "kWh", region="GB", year=2024),
        ]
    )
    assert not isinstance(out[0], CalcError)
    assert isinstance(out[1], CalcError)
    assert out[1].code == "invalid-amount"


def test_an_overflowing_option_is_refused_not_answered_with_infinity() -> None:
    with pytest.raises(CalcError) as exc:
        estimate(
            EstimateRequest(
                "electricity",
                MAX_AMOUNT,
                "kWh",
                region="GB",
                options={"supplier_factor_kg_per_kwh": 1e300},
            )
        )
    assert exc.value.code in {"invalid-amount", "invalid-option"}
