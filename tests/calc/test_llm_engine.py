"""`llm_inference` engine: validation, error codes, aliases, zones, overrides, extended method,
batch == scalar, and properties (Hypothesis)."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecotrack.calc.llm import (
    CustomModel,
    LLMError,
    LLMImpacts,
    LLMParams,
    estimate_llm,
    estimate_llm_batch,
)
from ecotrack.calc.llm_core import PREFILL_RATIO
from ecotrack.factors.llm import MinMax, default_catalogue

CAT = default_catalogue()
MODELS = [(m.provider, m.name) for m in CAT.models()]
ZONES = [None, "WOR", "EEE", "USA", "FRA", "fr", "SWE", "CHN", "BR", "AGO"]
FIGURES = ("energy_kwh", "gwp_kg", "adpe_kgsbeq", "pe_mj", "water_l")
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def est(**kw: Any) -> LLMImpacts:
    kw.setdefault("provider", "openai")
    kw.setdefault("model", "gpt-4o-mini")
    kw.setdefault("output_tokens", 200)
    return estimate_llm(**kw)


def code_of(**kw: Any) -> tuple[str, str | None]:
    with pytest.raises(LLMError) as info:
        est(**kw)
    return info.value.code, info.value.field


# -- results ----------------------------------------------------------------------------------


def test_result_shape_and_totals() -> None:
    r = est(provider="anthropic", model="claude-sonnet-4-5", output_tokens=400)
    assert r.methodology == "ecologits-0.11.3"
    assert r.zone == "USA"
    assert r.zone_source == "provider"
    assert r.model.name == "claude-sonnet-4-5-20250929"
    assert r.model.requested_name == "claude-sonnet-4-5"
    assert r.model.pue == MinMax(1.09, 1.14)
    for name in FIGURES:
        rng = getattr(r, name)
        assert 0 < rng.min <= rng.max
        assert rng.value == (rng.min + rng.max) / 2
    assert r.gwp_kg.min == r.usage.gwp_kg.min + r.embodied.gwp_kg.min
    assert r.water_l == r.usage.water_l  # water is usage only
    assert r.energy_kwh == r.usage.energy_kwh
    keys = [s.key for s in r.explanation]
    assert keys[:3] == ["zone", "params_active", "params_total"]
    assert {"gpu_energy_per_token", "latency", "gpus", "energy", "water", "gwp"} <= set(keys)
    json.dumps(r.to_dict())  # JSON-friendly


def test_point_model_has_zero_width_range() -> None:
    r = est(provider="cohere", model="command-a-03-2025", output_tokens=10)
    assert r.energy_kwh.min == r.energy_kwh.max == r.energy_kwh.value


def test_latency_caps_generation_time() -> None:
    free = est(output_tokens=5000)
    capped = est(output_tokens=5000, latency_s=0.5)
    step = {s.key: s for s in capped.explanation}["latency"]
    assert step.min == step.max == 0.5
    assert capped.energy_kwh.max < free.energy_kwh.max
    assert est(output_tokens=5000, latency_s=math.inf).energy_kwh == free.energy_kwh


def test_zero_output_tokens() -> None:
    """No TTFT known: zero tokens, zero impacts; with TTFT the server share stays > 0."""
    no_ttft = next(m for m in CAT.models() if m.tps is None and m.ttft_s is None)
    r = est(provider=no_ttft.provider, model=no_ttft.name, output_tokens=0)
    assert r.energy_kwh.max == 0
    assert r.gwp_kg.max == 0
    with_ttft = est(output_tokens=0)
    assert with_ttft.energy_kwh.min > 0


# -- zones ------------------------------------------------------------------------------------


def test_zone_alpha2_and_case() -> None:
    a3 = est(zone="FRA")
    a2 = est(zone="FR")
    assert a2.gwp_kg == a3.gwp_kg
    assert a2.water_l == a3.water_l
    assert a2.zone == "FRA"
    assert a2.zone_source == "option"
    assert est(zone="fr").zone == "FRA"
    assert est(zone="us").gwp_kg == est().gwp_kg


def test_zone_precedence() -> None:
    assert est().zone == "USA"
    assert est(provider="mistralai", model=_first("mistralai")).zone == "SWE"
    assert est(zone="DEU").zone == "DEU"
    custom = CAT.with_custom_models(
        [CustomModel("acme", "a1", params_total_b=7, pue=1.1, wue_onsite=0.2, zone="NOR")]
    )
    r = est(provider="acme", model="a1", catalogue=custom)
    assert (r.zone, r.zone_source) == ("NOR", "model")
    assert est(provider="acme", model="a1", catalogue=custom, zone="WOR").zone == "WOR"
    # unknown provider, explicit params, no zone -> world
    r = est(provider="acme", model="x", params=LLMParams(params_total_b=7, pue=1.2, wue_onsite=0))
    assert (r.zone, r.zone_source) == ("WOR", "world-default")


def _first(provider: str) -> str:
    return next(m.name for m in CAT.models(provider))


# -- errors -----------------------------------------------------------------------------------


def test_error_codes() -> None:
    assert code_of(model="nope") == ("model-not-registered", "options.model")
    assert code_of(zone="ZZZ") == ("zone-not-registered", "options.zone")
    assert code_of(zone="XX") == ("zone-not-registered", "options.zone")
    assert code_of(model="nope", zone="ZZZ")[0] == "model-not-registered"
    assert code_of(provider="acme", model="x", params=LLMParams(params_total_b=5)) == (
        "provider-not-registered",
        "options.provider",
    )
    assert code_of(method="fast") == ("invalid-value", "options.method")
    assert code_of(provider="") == ("invalid-value", "options.provider")


@pytest.mark.parametrize("bad", [-1, 1.5, True, "10", None, math.nan, math.inf, 2**60])
def test_token_validation(bad: Any) -> None:
    assert code_of(output_tokens=bad) == ("invalid-value", "options.output_tokens")
    assert code_of(input_tokens=bad) == ("invalid-value", "options.input_tokens")


def test_tokens_accept_integral_numbers() -> None:
    assert est(output_tokens=np.int64(200)) == est(output_tokens=200.0) == est(output_tokens=200)


@pytest.mark.parametrize("bad", [0, -1.0, math.nan, "1", True])
def test_latency_validation(bad: Any) -> None:
    assert code_of(latency_s=bad) == ("invalid-value", "options.latency_s")


def test_error_is_structured() -> None:
    with pytest.raises(LLMError) as info:
        est(model="nope")
    err = info.value
    assert err.to_dict()["code"] == "model-not-registered"
    assert isinstance(err, ValueError)
    import pickle

    again = pickle.loads(pickle.dumps(err))  # noqa: S301 - our own object
    assert (again.code, again.field) == (err.code, err.field)


# -- aliases, custom models, explicit parameters ----------------------------------------------


def test_alias_equals_canonical() -> None:
    a = est(provider="openai", model="gpt-35-turbo")
    b = est(provider="openai", model="gpt-3.5-turbo")
    assert a.gwp_kg == b.gwp_kg
    assert a.water_l == b.water_l
    assert a.model.name == "gpt-3.5-turbo"
    assert a.model.requested_name == "gpt-35-turbo"


def test_custom_model_precedence() -> None:
    base = est()
    custom = CAT.with_custom_models([CustomModel("openai", "gpt-4o-mini", params_total_b=70)])
    over = est(catalogue=custom)
    assert over.model.origin == "custom"
    assert over.model.params_active_b == MinMax(70, 70)
    assert over.energy_kwh.min > base.energy_kwh.max
    assert "custom-model-parameters" in over.warnings
    assert "model-arch-not-released" not in over.warnings
    # the provider profile still applies when the custom model sets none
    assert over.model.pue == MinMax(1.2, 1.2)
    # explicit params beat the custom model
    explicit = est(catalogue=custom, params=LLMParams(params_total_b=8))
    assert explicit.model.params_total_b == MinMax(8, 8)
    assert explicit.model.origin == "explicit"
    # custom data-centre values beat the provider profile
    dc = CAT.with_custom_models(
        [
            CustomModel(
                "openai",
                "gpt-4o-mini",
                params_total_b=(8, 28),
                tps=base.model.tps,
                ttft_s=base.model.ttft_s,
                pue=1.5,
                wue_onsite=2.0,
            )
        ]
    )
    r = est(catalogue=dc)
    assert r.model.pue == MinMax(1.5, 1.5)
    assert r.model.wue_onsite == MinMax(2.0, 2.0)
    assert r.energy_kwh.min == pytest.approx(base.energy_kwh.min / 1.2 * 1.5, rel=1e-12)


def test_explicit_params_for_unknown_model() -> None:
    r = est(
        provider="openai",
        model="my-finetune",
        params=LLMParams(params_total_b=(40, 60), params_active_b=(4, 6), tps=50, ttft_s=0.3),
    )
    assert r.model.architecture == "moe"
    assert r.model.tps == 50
    assert r.model.ttft_s == 0.3
    assert r.model.gpu_count == MinMax(2, 2)
    assert r.energy_kwh.min < r.energy_kwh.max
    # dense when only the total is given
    d = est(provider="openai", model="my-dense", params=LLMParams(params_total_b=7))
    assert d.model.params_active_b == MinMax(7, 7)
    assert d.model.architecture == "dense"
    with pytest.raises(LLMError) as info:
        est(model="x", params=LLMParams(params_total_b=7, params_active_b=9))
    assert info.value.field == "options.params_active_b"
    with pytest.raises(LLMError):
        est(model="x", params=LLMParams(params_total_b=7, pue=0.5))


def test_explicit_tps_overrides_catalogue() -> None:
    base = est(output_tokens=1000)
    slow = est(output_tokens=1000, params=LLMParams(tps=5))
    assert slow.model.origin == "explicit"
    assert slow.energy_kwh.max > base.energy_kwh.max


# -- extended method --------------------------------------------------------------------------


def test_extended_prefill_formula() -> None:
    """Extended = EcoLogits chain on N_out + rho * N_in tokens (rho min 0.1, max 0.37)."""
    assert (PREFILL_RATIO.min, PREFILL_RATIO.max) == (0.1, 0.37)
    ext = est(output_tokens=50, input_tokens=1000, method="extended")
    assert ext.methodology == "ecotrack-extended-1"
    lo = est(output_tokens=150)  # 50 + 0.1 * 1000
    hi = est(output_tokens=420)  # 50 + 0.37 * 1000
    for name in FIGURES:
        assert getattr(ext, name).min == getattr(lo, name).min
        assert getattr(ext, name).max == getattr(hi, name).max


def test_ecologits_mode_ignores_input_tokens_with_warning() -> None:
    r = est(input_tokens=5000)
    assert r.gwp_kg == est().gwp_kg
    assert r.warnings[-1] == "input-tokens-not-counted"
    assert "input-tokens-not-counted" not in est(input_tokens=5000, method="extended").warnings


# -- properties -------------------------------------------------------------------------------

model_st = st.sampled_from(MODELS)
zone_st = st.sampled_from(ZONES)
tokens_st = st.integers(min_value=0, max_value=200_000)
latency_st = st.one_of(st.none(), st.floats(min_value=1e-3, max_value=600, allow_nan=False))


@SETTINGS
@given(
    model_st, zone_st, tokens_st, tokens_st, latency_st, st.sampled_from(["ecologits", "extended"])
)
def test_monotone_in_output_tokens(
    pm: tuple[str, str], zone: str | None, a: int, b: int, lat: float | None, method: str
) -> None:
    n1, n2 = sorted((a, b))
    r1 = estimate_llm(
        provider=pm[0],
        model=pm[1],
        output_tokens=n1,
        zone=zone,
        latency_s=lat,
        method=method,
        input_tokens=100,
    )
    r2 = estimate_llm(
        provider=pm[0],
        model=pm[1],
        output_tokens=n2,
        zone=zone,
        latency_s=lat,
        method=method,
        input_tokens=100,
    )
    for name in FIGURES:
        assert getattr(r1, name).min <= getattr(r2, name).min
        assert getattr(r1, name).max <= getattr(r2, name).max


@SETTINGS
@given(model_st, zone_st, tokens_st, tokens_st, latency_st)
def test_min_le_max(
    pm: tuple[str, str], zone: str | None, n: int, n_in: int, lat: float | None
) -> None:
    for method in ("ecologits", "extended"):
        r = estimate_llm(
            provider=pm[0],
            model=pm[1],
            output_tokens=n,
            input_tokens=n_in,
            zone=zone,
            latency_s=lat,
            method=method,
        )
        for name in FIGURES:
            rng = getattr(r, name)
            assert 0 <= rng.min <= rng.value <= rng.max
        for s in r.explanation:
            assert s.min <= s.max, s.key


@SETTINGS
@given(model_st, zone_st, tokens_st, st.integers(min_value=0, max_value=200_000), latency_st)
def test_extended_ge_ecologits(
    pm: tuple[str, str], zone: str | None, n: int, n_in: int, lat: float | None
) -> None:
    kw: dict[str, Any] = {
        "provider": pm[0],
        "model": pm[1],
        "output_tokens": n,
        "zone": zone,
        "latency_s": lat,
    }
    eco = estimate_llm(**kw, input_tokens=n_in)
    ext = estimate_llm(**kw, input_tokens=n_in, method="extended")
    ext0 = estimate_llm(**kw, input_tokens=0, method="extended")
    for name in FIGURES:
        assert getattr(ext, name).min >= getattr(eco, name).min
        assert getattr(ext, name).max >= getattr(eco, name).max
        assert getattr(ext0, name) == getattr(eco, name)  # equal with no input tokens


row_st = st.tuples(
    st.one_of(model_st, st.just(("openai", "nope")), st.just(("acme", "gpt-4o-mini"))),
    st.one_of(zone_st, st.just("ZZZ")),
    st.one_of(tokens_st, st.just(-3)),
    st.one_of(tokens_st, st.just(-1)),
    st.one_of(latency_st, st.just(0.0), st.just(-2.0)),
)


@SETTINGS
@given(st.lists(row_st, min_size=1, max_size=40), st.sampled_from(["ecologits", "extended"]))
def test_batch_equals_scalar(rows: list[Any], method: str) -> None:
    cols = {
        "provider": [r[0][0] for r in rows],
        "model": [r[0][1] for r in rows],
        "zone": [r[1] for r in rows],
        "output_tokens": np.array([r[2] for r in rows]),
        "input_tokens": [r[3] for r in rows],
        "latency_s": [np.nan if r[4] is None else r[4] for r in rows],
    }
    res = estimate_llm_batch(cols, method=method)
    assert len(res) == len(rows)
    warnings = res.warnings()
    for i, ((p, m), zone, n, n_in, lat) in enumerate(rows):
        try:
            one = estimate_llm(
                provider=p,
                model=m,
                output_tokens=n,
                input_tokens=n_in,
                latency_s=lat,
                zone=zone,
                method=method,
            )
        except LLMError as exc:
            err = exc
        else:
            err = None
        if err is not None:
            assert (res.error_code[i], res.error_field[i]) == (err.code, err.field)
            assert not res.ok[i]
            assert math.isnan(res.energy_kwh.min[i])
            assert math.isnan(res.water_l.max[i])
            assert res.zone[i] is None
            assert warnings[i] == ()
            continue
        assert res.ok[i]
        assert res.error_code[i] is None
        assert res.zone[i] == one.zone
        assert res.model[i] == one.model.name
        assert warnings[i] == one.warnings
        pairs = [
            (res.energy_kwh, one.energy_kwh),
            (res.gwp_kg, one.gwp_kg),
            (res.adpe_kgsbeq, one.adpe_kgsbeq),
            (res.pe_mj, one.pe_mj),
            (res.water_l, one.water_l),
            (res.usage_gwp_kg, one.usage.gwp_kg),
            (res.embodied_gwp_kg, one.embodied.gwp_kg),
            (res.embodied_pe_mj, one.embodied.pe_mj),
        ]
        for col, rng in pairs:
            assert float(col.min[i]) == rng.min  # exactly: same float operations
            assert float(col.max[i]) == rng.max


# -- batch specifics --------------------------------------------------------------------------


def test_batch_defaults_and_scalar_columns() -> None:
    res = estimate_llm_batch(
        {
            "provider": ["openai", "openai"],
            "model": ["gpt-4o-mini", "gpt-4o-mini"],
            "output_tokens": [10, 20],
            "zone": "FR",
        }
    )
    assert list(res.zone) == ["FRA", "FRA"]
    assert res.error_count == 0
    row = res.row(1)
    assert row["zone"] == "FRA"
    assert row["energy_kwh"]["min"] <= row["energy_kwh"]["max"]
    json.dumps(row)


def test_batch_per_row_errors_in_order() -> None:
    res = estimate_llm_batch(
        {
            "provider": ["openai", "openai", "openai", "openai", "openai"],
            "model": ["gpt-4o-mini", "nope", "gpt-4o-mini", "gpt-4o-mini", "nope"],
            "output_tokens": [10, 10, -1, 10, 10.5],
            "latency_s": [None, None, None, 0, None],
            "zone": [None, None, None, None, "ZZZ"],
        }
    )
    assert list(res.error_code) == [
        None,
        "model-not-registered",
        "invalid-value",
        "invalid-value",
        "invalid-value",
    ]
    assert list(res.error_field) == [
        None,
        "options.model",
        "options.output_tokens",
        "options.latency_s",
        "options.output_tokens",
    ]
    assert res.error_count == 4
    assert res.row(1) == {"error": {"code": "model-not-registered", "field": "options.model"}}


def test_batch_malformed_columns() -> None:
    with pytest.raises(LLMError):
        estimate_llm_batch({"provider": ["openai"], "model": ["gpt-4o-mini"]})
    with pytest.raises(LLMError):
        estimate_llm_batch({"provider": ["openai"], "model": ["a", "b"], "output_tokens": [1]})
    with pytest.raises(LLMError):
        estimate_llm_batch({"provider": ["o"], "model": ["a"], "output_tokens": [1]}, method="x")


def test_batch_with_custom_catalogue() -> None:
    custom = CAT.with_custom_models(
        [CustomModel("acme", "a1", params_total_b=(7, 9), pue=1.1, wue_onsite=0.1)]
    )
    res = estimate_llm_batch(
        {"provider": ["acme"], "model": ["a1"], "output_tokens": [100]}, catalogue=custom
    )
    one = estimate_llm(provider="acme", model="a1", output_tokens=100, catalogue=custom)
    assert res.gwp_kg.max[0] == one.gwp_kg.max
    assert res.warnings()[0] == one.warnings == ("custom-model-parameters",)


def test_batch_large_is_exact_against_scalar_sample() -> None:
    rng = np.random.default_rng(7)
    n = 5000
    idx = rng.integers(0, len(MODELS), n)
    zones = [ZONES[i] for i in rng.integers(0, len(ZONES), n)]
    out = rng.integers(0, 10_000, n)
    lat = np.where(rng.random(n) < 0.3, rng.uniform(0.01, 30, n), np.nan)
    res = estimate_llm_batch(
        {
            "provider": [MODELS[i][0] for i in idx],
            "model": [MODELS[i][1] for i in idx],
            "output_tokens": out,
            "latency_s": lat,
            "zone": zones,
        }
    )
    assert res.ok.all()
    for i in rng.integers(0, n, 200):
        one = estimate_llm(
            provider=MODELS[idx[i]][0],
            model=MODELS[idx[i]][1],
            output_tokens=int(out[i]),
            zone=zones[i],
            latency_s=None if np.isnan(lat[i]) else float(lat[i]),
        )
        assert res.gwp_kg.min[i] == one.gwp_kg.min
        assert res.water_l.max[i] == one.water_l.max


def test_explicit_data_centre_values_are_flagged() -> None:
    r = est(params=LLMParams(pue=1.5))
    assert r.model.origin == "explicit"
    assert r.model.pue == MinMax(1.5, 1.5)
    assert "custom-model-parameters" in r.warnings
    assert "model-arch-not-released" in r.warnings  # architecture still EcoLogits'
