"""EcoTrack's `llm_inference` (method "ecologits") against EcoLogits 0.11.3 itself.

Every catalogue model x several zones x token counts (including 0) x with/without a latency
cap, through `ecologits.tracers.utils.llm_impacts` and through `estimate_llm` /
`estimate_llm_batch`. Required: <= 1e-6 relative difference on energy, GWP, ADPe, PE and water,
min and max. (In practice the figures are bit-identical; a separate test checks that.)
"""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from ecotrack.calc.llm import LLMError, LLMImpacts, estimate_llm, estimate_llm_batch
from ecotrack.factors.llm import default_catalogue

ecologits_utils = pytest.importorskip("ecologits.tracers.utils")
from ecologits.utils.range_value import RangeValue  # noqa: E402

REL_TOL = 1e-6
ZONES = ["WOR", "EEE", "USA", "FRA", "SWE", "DEU", "CHN", "IND", "BRA", "JPN", "ABW", "AGO"]
METRICS = ("energy", "gwp", "adpe", "pe", "wcf")
OURS = {
    "energy": "energy_kwh",
    "gwp": "gwp_kg",
    "adpe": "adpe_kgsbeq",
    "pe": "pe_mj",
    "wcf": "water_l",
}

Call = tuple[str, str, int, float | None, str | None]


def _calls() -> list[Call]:
    """>= 2,000 deterministic calls: 6 per catalogue model, plus the aliases."""
    rng = random.Random(20260311)
    cat = default_catalogue()
    out: list[Call] = []
    for i, m in enumerate(cat.models()):
        for j in range(6):
            tokens = 0 if j == 0 else rng.choice([1, rng.randint(2, 300), rng.randint(300, 8000)])
            latency = None if j % 2 == 0 else rng.choice([0.05, rng.uniform(0.1, 5), 60.0])
            zone = None if (i + j) % 3 == 0 else rng.choice(ZONES)
            out.append((m.provider, m.name, tokens, latency, zone))
        for alias in m.aliases:
            out.append((m.provider, alias, rng.randint(0, 2000), None, None))
    return out


CALLS = _calls()


@pytest.fixture(scope="module")
def reference() -> list[Any]:
    logging.getLogger("ecologits").setLevel(logging.CRITICAL)
    return [
        ecologits_utils.llm_impacts(
            provider=p,
            model_name=m,
            output_token_count=n,
            request_latency=math.inf if lat is None else lat,
            electricity_mix_zone=z,
        )
        for p, m, n, lat, z in CALLS
    ]


def _bounds(impact: Any) -> tuple[float, float]:
    v = impact.value
    if isinstance(v, RangeValue):
        return float(v.min), float(v.max)
    return float(v), float(v)


def _rel(a: float, b: float) -> float:
    if a == b:
        return 0.0
    return abs(a - b) / max(abs(a), abs(b))


def _pairs(ref: Any, ours: LLMImpacts) -> Iterator[tuple[str, float, float]]:
    for metric in METRICS:
        lo, hi = _bounds(getattr(ref, metric))
        r = getattr(ours, OURS[metric])
        yield f"{metric}.min", lo, r.min
        yield f"{metric}.max", hi, r.max
    for metric in ("gwp", "adpe", "pe"):
        for phase, name in (("usage", ref.usage), ("embodied", ref.embodied)):
            lo, hi = _bounds(getattr(name, metric))
            r = getattr(getattr(ours, phase), OURS[metric])
            yield f"{phase}.{metric}.min", lo, r.min
            yield f"{phase}.{metric}.max", hi, r.max


def test_enough_calls() -> None:
    assert len(CALLS) >= 2000
    assert {c[1] for c in CALLS} >= {m.name for m in default_catalogue().models()}
    assert any(c[2] == 0 for c in CALLS)
    assert any(c[3] is not None for c in CALLS)
    assert any(c[3] is None for c in CALLS)


def test_scalar_matches_ecologits(reference: list[Any]) -> None:
    worst: dict[str, float] = {}
    for call, ref in zip(CALLS, reference, strict=True):
        assert not ref.has_errors, (call, ref.errors)
        p, m, n, lat, z = call
        ours = estimate_llm(provider=p, model=m, output_tokens=n, latency_s=lat, zone=z)
        for key, expected, got in _pairs(ref, ours):
            worst[key] = max(worst.get(key, 0.0), _rel(expected, got))
        # the value EcoLogits reports: RangeValue.mean or the plain number
        v = ref.energy.value
        assert ours.energy_kwh.value == (v.mean if isinstance(v, RangeValue) else v)
        assert ours.warnings == tuple(w.code for w in ref.warnings or ()), call
    assert max(worst.values()) <= REL_TOL, worst


def test_bit_identical(reference: list[Any]) -> None:
    """Stronger than required: the same IEEE operations in the same order give equal bits."""
    for call, ref in zip(CALLS[:500], reference[:500], strict=True):
        p, m, n, lat, z = call
        ours = estimate_llm(provider=p, model=m, output_tokens=n, latency_s=lat, zone=z)
        for key, expected, got in _pairs(ref, ours):
            assert expected == got, (call, key, expected, got)


def test_batch_matches_ecologits(reference: list[Any]) -> None:
    cols = {
        "provider": [c[0] for c in CALLS],
        "model": [c[1] for c in CALLS],
        "output_tokens": np.array([c[2] for c in CALLS]),
        "latency_s": np.array([np.nan if c[3] is None else c[3] for c in CALLS]),
        "zone": [c[4] for c in CALLS],
    }
    res = estimate_llm_batch(cols)
    assert res.ok.all()
    worst = 0.0
    for i, ref in enumerate(reference):
        for metric in METRICS:
            lo, hi = _bounds(getattr(ref, metric))
            col = getattr(res, OURS[metric])
            worst = max(worst, _rel(lo, float(col.min[i])), _rel(hi, float(col.max[i])))
    assert worst <= REL_TOL
    warnings = res.warnings()
    for i, ref in enumerate(reference):
        assert warnings[i] == tuple(w.code for w in ref.warnings or ())


@pytest.mark.parametrize(
    ("provider", "model", "zone", "code"),
    [
        ("openai", "no-such-model", None, "model-not-registered"),
        ("anthropic", "claude-3-5-sonnet-20240620", None, "model-not-registered"),
        ("nobody", "gpt-4o-mini", None, "model-not-registered"),
        ("openai", "gpt-4o-mini", "ZZZ", "zone-not-registered"),
        ("openai", "no-such-model", "ZZZ", "model-not-registered"),  # model checked first
    ],
)
def test_error_codes_match_ecologits(
    provider: str, model: str, zone: str | None, code: str
) -> None:
    ref = ecologits_utils.llm_impacts(provider, model, 10, math.inf, zone)
    assert [e.code for e in ref.errors] == [code]
    with pytest.raises(LLMError) as info:
        estimate_llm(provider=provider, model=model, output_tokens=10, zone=zone)
    assert info.value.code == code


def test_research_note_anchor() -> None:
    """0 output tokens keep TTFT server energy: gpt-4o-mini / WOR -> 4.21875e-7 kWh."""
    r = estimate_llm(provider="openai", model="gpt-4o-mini", output_tokens=0, zone="WOR")
    assert r.energy_kwh.min == r.energy_kwh.max == pytest.approx(4.21875e-7, rel=1e-12)
