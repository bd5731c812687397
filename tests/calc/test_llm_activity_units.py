"""`llm_inference` through the engine: amounts in tokens or in calls, explicit parameters."""

from __future__ import annotations

import pytest

from ecotrack.calc import CalcError, EstimateRequest, estimate
from ecotrack.calc.llm import LLMParams, estimate_llm

BASE = {"provider": "openai", "model": "gpt-4o-mini"}


def test_amount_in_calls_is_calls_times_one_call() -> None:
    one = estimate(EstimateRequest("llm_inference", 400, "token", options=BASE))
    many = estimate(
        EstimateRequest("llm_inference", 250, "call", options={**BASE, "output_tokens": 400})
    )
    assert many.co2e_kg == pytest.approx(250 * one.co2e_kg, rel=1e-12)
    assert many.range.low == pytest.approx(250 * one.range.low, rel=1e-12)
    assert many.metrics["energy_kwh"] == pytest.approx(250 * one.metrics["energy_kwh"], rel=1e-12)
    assert many.metrics["water_l"] == pytest.approx(250 * one.metrics["water_l"], rel=1e-12)
    assert any("250 calls" in s.text for s in many.explanation)


def test_calls_need_output_tokens_and_tokens_refuse_it() -> None:
    with pytest.raises(CalcError) as missing:
        estimate(EstimateRequest("llm_inference", 3, "call", options=BASE))
    assert missing.value.code == "invalid-option"
    assert missing.value.errors[0]["loc"] == ["options", "output_tokens"]
    with pytest.raises(CalcError) as both:
        estimate(
            EstimateRequest("llm_inference", 400, "token", options={**BASE, "output_tokens": 9})
        )
    assert both.value.errors[0]["loc"] == ["options", "output_tokens"]


def test_explicit_parameters_for_an_unknown_model_match_the_engine() -> None:
    options = {
        "provider": "acme",
        "model": "house-model",
        "params_active_b": {"min": 7, "max": 13},
        "pue": 1.2,
        "wue_onsite": 0.5,
        "tps": 80,
        "ttft_s": 0.4,
    }
    result = estimate(EstimateRequest("llm_inference", 300, "token", options=options))
    direct = estimate_llm(
        provider="acme",
        model="house-model",
        output_tokens=300,
        params=LLMParams(
            params_active_b=(7.0, 13.0), pue=1.2, wue_onsite=0.5, tps=80.0, ttft_s=0.4
        ),
    )
    assert result.co2e_kg == direct.gwp_kg.value
    assert (result.range.low, result.range.high) == (direct.gwp_kg.min, direct.gwp_kg.max)


@pytest.mark.parametrize(
    ("options", "loc"),
    [
        ({"params_active_b": {"min": 13, "max": 7}}, ["options", "params_active_b"]),
        ({"params_active_b": {"low": 1}}, ["options", "params_active_b"]),
        ({"pue": 0.8}, ["options", "pue"]),
        ({"tps": 0}, ["options", "tps"]),
    ],
)
def test_bad_explicit_parameters_are_field_errors(options, loc) -> None:
    with pytest.raises(CalcError) as err:
        estimate(
            EstimateRequest(
                "llm_inference", 10, "token", options={"provider": "acme", "model": "x", **options}
            )
        )
    assert err.value.code == "invalid-option"
    assert err.value.errors[0]["loc"] == loc


def test_unknown_model_without_parameters_is_model_not_registered() -> None:
    with pytest.raises(CalcError) as err:
        estimate(EstimateRequest("llm_inference", 10, "token", options={**BASE, "model": "nope"}))
    assert err.value.code == "model-not-registered"
