"""AI-inference footprint of LLM API calls (`llm_inference`), EcoLogits-compatible.

Two entry points, pure functions:

- `estimate_llm(...)` -> `LLMImpacts` for one call, with an explanation of every step;
- `estimate_llm_batch(columns)` -> `LLMBatchResult` for many calls at once, vectorised with
  numpy and grouped by (provider, model) and by zone so parameters are resolved once each.
  Per-row problems come back as error codes instead of exceptions.

`method="ecologits"` reproduces EcoLogits 0.11.3 (`ecologits.tracers.utils.llm_impacts`) to the
last bit; `method="extended"` adds a prefill term for input tokens (docs/methodology-llm.md).
Units: energy kWh, GWP kg CO2e, ADPe kg Sb eq, PE MJ, water L. Every figure is a `Range`:
`min` and `max` come from the min and max parameter sets (as in EcoLogits) and `value` is their
midpoint, which is EcoLogits' `RangeValue.mean` (and its plain number when min == max).

Modules: `llm_core` (constants, resolution, the formula chain, validation), `llm_batch`
(vectorised engine), `llm_types` (result types); this module is the public entry point.
Methodology: docs/methodology-llm.md.
"""

from __future__ import annotations

import math

from ecotrack.calc.llm_batch import estimate_llm_batch
from ecotrack.calc.llm_core import (
    BATCH_SIZE,
    EXP_BETA_BATCH,
    GPU_ENERGY_ALPHA,
    GPU_ENERGY_GAMMA,
    GPU_MEMORY_GB,
    HARDWARE_LIFESPAN_S,
    LATENCY_ALPHA,
    LATENCY_BETA,
    LATENCY_GAMMA,
    METHOD_ECOLOGITS,
    METHODOLOGIES,
    PREFILL_RATIO,
    SERVER_POWER_KW,
    WARN_CUSTOM_PARAMETERS,
    WARN_INPUT_NOT_COUNTED,
    ChainOut,
    Group,
    LLMError,
    LLMParams,
    chain_side,
    check_latency,
    check_method,
    check_tokens,
    resolve,
)
from ecotrack.calc.llm_types import (
    ExplanationStep,
    LLMBatchResult,
    LLMEmbodied,
    LLMImpacts,
    LLMUsage,
    Range,
    RangeArray,
    ResolvedModel,
)
from ecotrack.factors.llm import (
    ORIGIN_BUILTIN,
    CustomModel,
    MinMax,
    ModelCatalogue,
    default_catalogue,
)

__all__ = [
    "METHODOLOGIES",
    "CustomModel",
    "ExplanationStep",
    "LLMBatchResult",
    "LLMEmbodied",
    "LLMError",
    "LLMImpacts",
    "LLMParams",
    "LLMUsage",
    "ModelCatalogue",
    "Range",
    "RangeArray",
    "ResolvedModel",
    "estimate_llm",
    "estimate_llm_batch",
]


# --------------------------------------------------------------------------------------------
# One call
# --------------------------------------------------------------------------------------------


def estimate_llm(
    *,
    provider: str,
    model: str,
    output_tokens: int,
    input_tokens: int = 0,
    latency_s: float | None = None,
    zone: str | None = None,
    method: str = METHOD_ECOLOGITS,
    params: LLMParams | None = None,
    catalogue: ModelCatalogue | None = None,
) -> LLMImpacts:
    """Footprint of one LLM call. Raises `LLMError` (`code`, `field`) when it cannot compute.

    `latency_s` caps the generation time as EcoLogits' `request_latency`; `zone` (alpha-3,
    alpha-2, WOR or EEE) overrides the provider's default data-centre zone; `params` overrides
    or supplies model parameters; `catalogue` may carry an organisation's custom models.
    """
    extended = check_method(method)
    n_out = check_tokens(output_tokens, "output_tokens")
    n_in = check_tokens(input_tokens, "input_tokens")
    request_latency = check_latency(latency_s)
    cat = catalogue if catalogue is not None else default_catalogue()
    group = resolve(cat, provider, model, zone, params, method)
    part = group.part

    out_f, in_f = float(n_out), float(n_in)
    lo = chain_side(part.lo, group.mix, out_f, in_f, request_latency, extended=extended)
    hi = chain_side(part.hi, group.mix, out_f, in_f, request_latency, extended=extended)

    warnings = _group_warnings(group)
    if not extended and n_in > 0:
        warnings += (WARN_INPUT_NOT_COUNTED,)

    usage = LLMUsage(
        energy_kwh=Range.of(lo.energy, hi.energy),
        gwp_kg=Range.of(lo.usage_gwp, hi.usage_gwp),
        adpe_kgsbeq=Range.of(lo.usage_adpe, hi.usage_adpe),
        pe_mj=Range.of(lo.usage_pe, hi.usage_pe),
        water_l=Range.of(lo.water, hi.water),
    )
    m = part.model
    return LLMImpacts(
        energy_kwh=usage.energy_kwh,
        gwp_kg=Range.of(lo.gwp, hi.gwp),
        adpe_kgsbeq=Range.of(lo.adpe, hi.adpe),
        pe_mj=Range.of(lo.pe, hi.pe),
        water_l=usage.water_l,
        usage=usage,
        embodied=LLMEmbodied(
            gwp_kg=Range.of(lo.embodied_gwp, hi.embodied_gwp),
            adpe_kgsbeq=Range.of(lo.embodied_adpe, hi.embodied_adpe),
            pe_mj=Range.of(lo.embodied_pe, hi.embodied_pe),
        ),
        zone=group.zone,
        zone_source=group.zone_source,
        model=ResolvedModel(
            provider=part.provider,
            name=m.name,
            requested_name=part.requested_name,
            origin=part.origin,
            architecture=(
                m.architecture
                if part.origin == m.origin
                else _arch(part.params_total_b, part.params_active_b)
            ),
            params_total_b=part.params_total_b,
            params_active_b=part.params_active_b,
            tps=part.tps,
            ttft_s=part.ttft_s,
            pue=part.pue,
            wue_onsite=part.wue_onsite,
            gpu_count=MinMax(part.lo.gpus, part.hi.gpus),
            sources=m.sources,
        ),
        warnings=warnings,
        explanation=_explain(group, lo, hi, n_out, n_in, request_latency, extended),
        methodology=METHODOLOGIES[method],
        output_tokens=n_out,
        input_tokens=n_in,
        latency_s=None if latency_s is None else request_latency,
    )


def _arch(total: MinMax, active: MinMax) -> str:
    return "dense" if total == active else "moe"


def _group_warnings(group: Group) -> tuple[str, ...]:
    if group.part.origin != ORIGIN_BUILTIN:
        return (*group.warnings, WARN_CUSTOM_PARAMETERS)
    return group.warnings


def _explain(
    g: Group,
    lo: ChainOut,
    hi: ChainOut,
    n_out: int,
    n_in: int,
    request_latency: float,
    extended: bool,
) -> tuple[ExplanationStep, ...]:
    S = ExplanationStep
    mix = g.mix
    p = g.part
    if p.tps is None:
        lat_formula = (
            f"N x ({LATENCY_ALPHA} x P_active + {LATENCY_BETA} x {BATCH_SIZE} + {LATENCY_GAMMA})"
            + (f" + TTFT {p.ttft_s}" if p.ttft_s else "")
        )
    else:
        lat_formula = f"N / tps ({p.tps}) + TTFT ({p.ttft_s or 0})"
    if math.isfinite(request_latency):
        lat_formula += f", capped at the measured request latency {request_latency} s"
    steps = [
        S(
            "zone",
            f"Electricity mix of zone {g.zone} (from {g.zone_source}): GWP, ADPe, PE and "
            "off-site water per kWh",
            f"gwp {mix.gwp} kgCO2e/kWh; adpe {mix.adpe} kgSbeq/kWh; pe {mix.pe} MJ/kWh; "
            f"wue {mix.wue} L/kWh",
            mix.gwp,
            mix.gwp,
            "kg CO2e/kWh",
        ),
        S(
            "params_active",
            f"Active parameters of {p.provider}/{p.model.name} ({p.origin})",
            "billions",
            p.lo.active_b,
            p.hi.active_b,
            "B params",
        ),
        S(
            "params_total",
            "Total parameters (sets the memory footprint)",
            "billions",
            p.lo.total_b,
            p.hi.total_b,
            "B params",
        ),
    ]
    if extended:
        steps.append(
            S(
                "tokens",
                f"Decode-equivalent tokens: {n_out} output + prefill ratio x {n_in} input "
                f"(ratio {PREFILL_RATIO.min}-{PREFILL_RATIO.max}, EcoTrack extension)",
                "N = N_out + rho x N_in",
                lo.tokens,
                hi.tokens,
                "tokens",
            )
        )
    else:
        steps.append(
            S(
                "tokens",
                f"Output tokens ({n_in} input tokens are not counted by EcoLogits 0.11.3)",
                "N = N_out",
                float(n_out),
                float(n_out),
                "tokens",
            )
        )
    steps += [
        S(
            "gpu_energy_per_token",
            f"GPU energy per token on one H100 at batch size {BATCH_SIZE} (ML.ENERGY fit)",
            f"({GPU_ENERGY_ALPHA} x e^(beta x {BATCH_SIZE}) = {GPU_ENERGY_ALPHA * EXP_BETA_BATCH})"
            f" x P_active + {GPU_ENERGY_GAMMA} Wh, / 1000",
            p.lo.gpu_energy_per_token,
            p.hi.gpu_energy_per_token,
            "kWh/token",
        ),
        S(
            "gpu_energy",
            "GPU energy of the request, one GPU",
            "N x e_token",
            lo.gpu_energy,
            hi.gpu_energy,
            "kWh",
        ),
        S("latency", "Generation time", lat_formula, lo.latency, hi.latency, "s"),
        S(
            "memory",
            "Model memory at 16-bit weights",
            "1.2 x P_total x 16 / 8",
            p.lo.memory_gb,
            p.hi.memory_gb,
            "GB",
        ),
        S(
            "gpus",
            f"GPUs: ceil(memory / {GPU_MEMORY_GB} GB) rounded up to a power of two",
            "2^ceil(log2(ceil(M / 80)))",
            p.lo.gpus,
            p.hi.gpus,
            "GPUs",
        ),
        S(
            "server_energy",
            f"Server (non-GPU) energy, {SERVER_POWER_KW} kW per 8-GPU server, "
            f"shared by {BATCH_SIZE} requests",
            "dT / 3600 x 1.2 x GPUs / 8 / 64",
            lo.server_energy,
            hi.server_energy,
            "kWh",
        ),
        S(
            "it_energy",
            "IT energy",
            "server + GPUs x GPU energy",
            lo.it_energy,
            hi.it_energy,
            "kWh",
        ),
        S("pue", "Data-centre PUE", "provider profile / custom", p.lo.pue, p.hi.pue, ""),
        S("energy", "Request energy", "PUE x IT energy", lo.energy, hi.energy, "kWh"),
        S("usage_gwp", "Usage GWP", f"energy x {mix.gwp}", lo.usage_gwp, hi.usage_gwp, "kg CO2e"),
        S(
            "usage_adpe",
            "Usage ADPe",
            f"energy x {mix.adpe}",
            lo.usage_adpe,
            hi.usage_adpe,
            "kg Sb eq",
        ),
        S("usage_pe", "Usage primary energy", f"energy x {mix.pe}", lo.usage_pe, hi.usage_pe, "MJ"),
        S(
            "water",
            "Water (usage only): on-site WUE plus PUE x off-site WUE of the mix",
            f"IT energy x (WUE_onsite + PUE x {mix.wue})",
            lo.water,
            hi.water,
            "L",
        ),
        S(
            "hw_embodied_gwp",
            "Embodied GWP of the GPUs and their server share",
            "GPUs/8 x 5700 + GPUs x 273",
            p.lo.hw_embodied_gwp,
            p.hi.hw_embodied_gwp,
            "kg CO2e",
        ),
        S(
            "embodied_gwp",
            f"Embodied GWP share: generation time over a {HARDWARE_LIFESPAN_S} s "
            f"(3-year) life, shared by {BATCH_SIZE} requests",
            "dT x hardware / (lifetime x 64)",
            lo.embodied_gwp,
            hi.embodied_gwp,
            "kg CO2e",
        ),
        S("gwp", "Total GWP", "usage + embodied", lo.gwp, hi.gwp, "kg CO2e"),
        S("adpe", "Total ADPe", "usage + embodied", lo.adpe, hi.adpe, "kg Sb eq"),
        S("pe", "Total primary energy", "usage + embodied", lo.pe, hi.pe, "MJ"),
    ]
    return tuple(steps)
