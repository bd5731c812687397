"""`llm_inference`: adapter from `ecotrack.calc.llm` (EcoLogits method) to the engine's types.

Two ways to give the size of the work: the amount is the number of **output tokens** of one call
(unit `token`), or the amount is a number of **calls** (unit `call`/`request`) each with
`options.output_tokens`. The model, provider, input tokens, latency cap, data-centre zone and,
for models outside the catalogue, explicit parameters are options. `co2e_kg` is the call's GWP
(usage + embodied, midpoint of EcoLogits' min/max), the range is that min/max, and energy,
water, ADPe and PE go into `metrics`. Methodology: docs/methodology-llm.md.

The footprint is affine in output tokens (time-to-first-token, latency cap), not linear, so
the plan is computed per call (`linear = False`) and not cached per unit.
"""

from __future__ import annotations

from typing import Any

from ecotrack.calc._base import ActivitySpec, Ctx, OptionSpec, esc, factor_ref, synthetic_factor
from ecotrack.calc.errors import (
    INVALID_AMOUNT,
    INVALID_OPTION,
    MODEL_NOT_REGISTERED,
    ZONE_NOT_REGISTERED,
    CalcError,
)
from ecotrack.calc.types import FactorRef, Plan, StepTemplate, fmt_num
from ecotrack.factors.types import Factor

CALL_UNITS = ("call", "request")
PARAM_OPTIONS = ("params_total_b", "params_active_b", "pue", "wue_onsite", "tps", "ttft_s")

_CODES = {
    "model-not-registered": MODEL_NOT_REGISTERED,
    "zone-not-registered": ZONE_NOT_REGISTERED,
}


def _llm_error(exc: Any) -> CalcError:
    code = _CODES.get(getattr(exc, "code", ""), INVALID_OPTION)
    field = getattr(exc, "field", None) or "options"
    loc = [p for p in str(field).split(".") if p]
    msg = getattr(exc, "message", None) or str(exc)
    if loc == ["options", "output_tokens"]:
        code, loc = INVALID_AMOUNT, ["amount"]
        msg = f"amount (output tokens) must be a whole number ≥ 0: {msg}"
    return CalcError(code, msg, loc=loc)


def _mix_ref(ctx: Ctx, zone: str) -> FactorRef:
    try:
        f: Factor = ctx.reg.get(f"ecologits:0.11.3:mix:{zone}")
    except Exception:
        f = synthetic_factor(
            id=f"ecologits:mix:{zone}",
            name=f"Electricity mix {zone} (EcoLogits)",
            value=0.0,
            per_unit="kWh",
            region=zone,
            year=2025,
            source_id="ecologits:0.11.3",
        )
    return factor_ref(ctx.reg, f)


def _llm(ctx: Ctx) -> Plan:
    from ecotrack.calc import llm
    from ecotrack.factors.llm import WARNING_MESSAGES

    ctx.require_source(("ecologits",), ctx.source or "ecologits")
    amount = ctx.amount if ctx.amount is not None else 0.0
    per_call_tokens = ctx.opt("output_tokens")
    if ctx.unit_to("call") is not None:
        if per_call_tokens is None:
            raise CalcError(
                INVALID_OPTION,
                "options.output_tokens is required when the amount counts calls",
                loc=["options", "output_tokens"],
            )
        calls, tokens = amount, float(per_call_tokens)
    else:
        conv = ctx.unit_to("token")
        if conv is None:
            raise ctx.unit_error()
        if per_call_tokens is not None:
            raise CalcError(
                INVALID_OPTION,
                "options.output_tokens is for amounts in calls; with unit 'token' the amount "
                "is the output tokens",
                loc=["options", "output_tokens"],
            )
        calls, tokens = 1.0, amount * conv
    if tokens != int(tokens):
        raise CalcError(
            INVALID_AMOUNT,
            f"amount must be a whole number of output tokens, got {fmt_num(tokens)}",
            loc=["amount"],
        )
    if ctx.region is not None:
        ctx.warn(
            "llm_inference: region is not used; give options.zone for the data-centre "
            "electricity mix"
        )
    params = None
    explicit = {k: ctx.opt(k) for k in PARAM_OPTIONS}
    if any(v is not None for v in explicit.values()):
        params = llm.LLMParams(**explicit)
    try:
        imp = llm.estimate_llm(
            provider=ctx.opt("provider") or "",
            model=ctx.opt("model") or "",
            output_tokens=int(tokens),
            input_tokens=int(ctx.opt("input_tokens") or 0),
            latency_s=ctx.opt("latency_s"),
            zone=ctx.opt("zone"),
            method=ctx.opt("method"),
            params=params,
        )
    except llm.LLMError as exc:
        raise _llm_error(exc) from None
    for w in imp.warnings:
        ctx.warn(WARNING_MESSAGES.get(w, w))
    steps = [
        StepTemplate(
            esc(
                f"{s.text}: {s.formula} = {fmt_num(s.min)}"
                + (f"–{fmt_num(s.max)}" if s.max != s.min else "")
                + f" {s.unit}"
            ),
            None,
            s.unit,
        )
        for s in imp.explanation
    ]
    if calls != 1.0:
        steps.append(
            StepTemplate(
                f"× {fmt_num(calls)} calls of {int(tokens)} output tokens each", None, None
            )
        )
    steps.append(
        StepTemplate(
            f"GWP per call = {fmt_num(imp.gwp_kg.value)} kg CO2e (midpoint of "
            f"{fmt_num(imp.gwp_kg.min)}–"
            f"{fmt_num(imp.gwp_kg.max)}; usage {fmt_num(imp.usage.gwp_kg.value)} + embodied "
            f"{fmt_num(imp.embodied.gwp_kg.value)})",
            None,
            "kg CO2e",
        )
    )
    metrics = (
        ("energy_kwh", imp.energy_kwh.value),
        ("energy_kwh_min", imp.energy_kwh.min),
        ("energy_kwh_max", imp.energy_kwh.max),
        ("water_l", imp.water_l.value),
        ("water_l_min", imp.water_l.min),
        ("water_l_max", imp.water_l.max),
        ("adpe_kgsbeq", imp.adpe_kgsbeq.value),
        ("pe_mj", imp.pe_mj.value),
        ("usage_gwp_kg", imp.usage.gwp_kg.value),
        ("embodied_gwp_kg", imp.embodied.gwp_kg.value),
        ("output_tokens", float(imp.output_tokens)),
        ("input_tokens", float(imp.input_tokens)),
    )
    scaled = tuple((k, v * calls) for k, v in metrics)
    ref = _mix_ref(ctx, imp.zone)
    return Plan(
        activity=ctx.activity,
        factor=ref,
        kg_per_unit=imp.gwp_kg.value * calls,
        low_per_unit=imp.gwp_kg.min * calls,
        high_per_unit=imp.gwp_kg.max * calls,
        range_basis="EcoLogits min/max parameter sets (model size, GPU count, PUE/WUE bounds)",
        unit=ctx.unit,
        norm_unit="token",
        norm_per_unit=tokens * calls,
        source="ecologits",
        region=ref.region,
        year=ref.year,
        methodology=imp.methodology,
        steps=tuple(steps),
        warnings=tuple(ctx.warnings),
        metrics_per_unit=scaled,
        linear=False,
    )


LLM_INFERENCE = ActivitySpec(
    name="llm_inference",
    category="other",
    description=(
        "LLM API calls: amount = output tokens of one call (unit token), or a number of calls "
        "(unit call) with options.output_tokens each. EcoLogits 0.11.3 method (energy, GWP, "
        "water, ADPe, PE); see docs/methodology-llm.md."
    ),
    units=("token", *CALL_UNITS),
    options=(
        OptionSpec(
            "output_tokens",
            "int",
            "Output tokens per call, when the amount counts calls (unit call).",
            minimum=0,
        ),
        OptionSpec(
            "provider", "str", "Model provider (openai, anthropic, mistralai, google_genai, ...)."
        ),
        OptionSpec("model", "str", "Model name as EcoLogits lists it (e.g. gpt-4o-mini)."),
        OptionSpec(
            "input_tokens",
            "int",
            "Prompt tokens (counted by method 'extended' only).",
            default=0,
            minimum=0,
        ),
        OptionSpec(
            "latency_s",
            "float",
            "Measured request latency (caps generation time).",
            minimum=0.0,
            exclusive_minimum=True,
        ),
        OptionSpec(
            "zone", "str", "Data-centre electricity-mix zone (ISO alpha-3/alpha-2, WOR, EEE)."
        ),
        OptionSpec(
            "method",
            "str",
            "ecologits (reproduces EcoLogits 0.11.3) or extended (adds a prefill term for input "
            "tokens).",
            default="ecologits",
            choices=("ecologits", "extended"),
        ),
        OptionSpec(
            "params_total_b",
            "range",
            "Total parameters (billions; a number or {min, max}) for a model not in the catalogue.",
            minimum=0.0,
            exclusive_minimum=True,
        ),
        OptionSpec(
            "params_active_b",
            "range",
            "Active parameters (billions; a number or {min, max}), mixture-of-experts models.",
            minimum=0.0,
            exclusive_minimum=True,
        ),
        OptionSpec(
            "pue",
            "range",
            "Data-centre PUE (a number or {min, max}); replaces the provider's.",
            minimum=1.0,
            maximum=5.0,
        ),
        OptionSpec(
            "wue_onsite",
            "range",
            "On-site water use (L/kWh; a number or {min, max}); replaces the provider's.",
            minimum=0.0,
            maximum=20.0,
        ),
        OptionSpec(
            "tps",
            "float",
            "Generation speed (output tokens per second) for a model not in the catalogue.",
            minimum=0.0,
            exclusive_minimum=True,
        ),
        OptionSpec(
            "ttft_s",
            "float",
            "Time to first token (s) for a model not in the catalogue.",
            minimum=0.0,
        ),
    ),
    sources=("ecologits",),
    default_source={"any": "ecologits"},
    methodology="llm_inference",
    resolver=_llm,
    linear=False,
)

SPECS: tuple[ActivitySpec, ...] = (LLM_INFERENCE,)
