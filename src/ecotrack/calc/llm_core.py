"""Core of the LLM-inference engine: constants, parameter resolution and the formula chain.

The chain is EcoLogits 0.11.3's LLM-inference methodology (`ecologits/impacts/llm.py`),
re-implemented here as one closed-form function, `chain()`, that works on Python floats (one
call) and on numpy float64 arrays (a batch) alike. Every expression keeps EcoLogits' order of
floating-point operations, so results are the same to the last bit, and the scalar and the
vectorised paths agree exactly.

Min/max semantics (as EcoLogits): the chain is evaluated once with the "min" parameter set
(min active and total parameters, min PUE, min on-site WUE) and once with the "max" set.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from ecotrack.factors.llm import (
    WORLD_ZONE,
    ElectricityMix,
    LLMModel,
    MinMax,
    ModelCatalogue,
)

# --------------------------------------------------------------------------------------------
# Constants of EcoLogits 0.11.3 (ecologits/impacts/llm.py); names and values as there.
# --------------------------------------------------------------------------------------------

MODEL_QUANTIZATION_BITS: Final = 16
GPU_ENERGY_ALPHA: Final = 1.1665273170451914e-06  # Wh / token / B-param (at e^(beta*B) = 1)
GPU_ENERGY_BETA: Final = -0.011205921025579175  # 1 / request in batch
GPU_ENERGY_GAMMA: Final = 4.052928146734005e-05  # Wh / token
LATENCY_ALPHA: Final = 0.0006785088094353663  # s / token / B-param
LATENCY_BETA: Final = 0.0003119310311688259  # s / token / request in batch
LATENCY_GAMMA: Final = 0.019473717579473387  # s / token
MEMORY_OVERHEAD: Final = 1.2  # model_required_memory = 1.2 * P_total * Q / 8 (GB)
GPU_MEMORY_GB: Final = 80  # NVIDIA H100 80 GB
GPU_EMBODIED_GWP: Final = 273  # kg CO2e per GPU
GPU_EMBODIED_ADPE: Final = 0.00895  # kg Sb eq per GPU
GPU_EMBODIED_PE: Final = 3721  # MJ per GPU
SERVER_GPUS: Final = 8
SERVER_POWER_KW: Final = 1.2  # server without GPUs
SERVER_EMBODIED_GWP: Final = 5700  # kg CO2e, server without GPUs
SERVER_EMBODIED_ADPE: Final = 0.37  # kg Sb eq
SERVER_EMBODIED_PE: Final = 70000  # MJ
HARDWARE_LIFESPAN_S: Final = 3 * 365 * 24 * 60 * 60  # 94,608,000 s
BATCH_SIZE: Final = 64

#: e^(beta * B), computed once exactly as EcoLogits does (math.exp of the same double).
EXP_BETA_BATCH: Final = math.exp(GPU_ENERGY_BETA * BATCH_SIZE)
#: lifetime x batch, the denominator of the embodied share (an exact integer, 6,054,912,000).
_EMBODIED_DENOMINATOR: Final = HARDWARE_LIFESPAN_S * BATCH_SIZE
_INV_BATCH: Final = 1 / BATCH_SIZE

# --------------------------------------------------------------------------------------------
# Extended method: prefill (input-token) term. See docs/methodology-llm.md.
# --------------------------------------------------------------------------------------------

#: Prefill cost of one input token as a fraction of one output (decode) token, (min, max).
#: max 0.37: Epoch AI (Feb 2025) - 0.3 Wh for a 500-output-token GPT-4o query and 2.5 Wh with
#: 10k input tokens, so (2.5 - 0.3) / 10,000 Wh per input token over 0.3 / 500 Wh per output
#: token = 0.367, rounded up. min 0.1: compute-bound prefill (2 FLOP per active parameter per
#: token, H100 SXM 989 TFLOP/s dense BF16 at an assumed 50 % utilisation and 700 W) against the
#: EcoLogits decode fit gives 0.07-0.17 for 8B-405B dense and MoE models; 0.1 rounded.
PREFILL_RATIO: Final = MinMax(0.1, 0.37)

METHOD_ECOLOGITS: Final = "ecologits"
METHOD_EXTENDED: Final = "extended"
METHODOLOGIES: Final = {
    METHOD_ECOLOGITS: "ecologits-0.11.3",
    METHOD_EXTENDED: "ecotrack-extended-1",
}
#: Largest token count accepted: integers above 2**53 are not exact as doubles.
MAX_TOKENS: Final = 2**53


class LLMError(ValueError):
    """A request the LLM engine cannot compute; `code` is stable, `field` names the option."""

    status_code = 422

    def __init__(self, code: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.field = field
        self.message = message

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "field": self.field, "message": self.message}

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_error, (self.code, self.message, self.field))


def _rebuild_error(code: str, message: str, field: str | None) -> LLMError:
    return LLMError(code, message, field=field)


@dataclass(frozen=True, slots=True)
class LLMParams:
    """Explicit model / data-centre parameters; they override the catalogue field by field.

    For a model the catalogue does not know, give at least `params_total_b` or
    `params_active_b` (billions; a number or `(min, max)`; the missing one equals the other).
    `pue` and `wue_onsite` (L/kWh) are needed when the provider has no EcoLogits profile.
    """

    params_total_b: float | tuple[float, float] | None = None
    params_active_b: float | tuple[float, float] | None = None
    pue: float | tuple[float, float] | None = None
    wue_onsite: float | tuple[float, float] | None = None
    tps: float | None = None
    ttft_s: float | None = None

    @property
    def has_architecture(self) -> bool:
        return self.params_total_b is not None or self.params_active_b is not None


# --------------------------------------------------------------------------------------------
# Resolution: (provider, model, zone, params) -> per-side constants of the chain
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Side:
    """Everything the chain needs for one end (min or max) of the parameter set."""

    active_b: float
    total_b: float
    pue: float
    wue_onsite: float
    prefill_ratio: float  # 0.0 in ecologits mode
    gpu_energy_per_token: float  # kWh per output token, one GPU
    latency_per_token: float  # s per output token
    ttft: float  # s (0 when unknown)
    memory_gb: float
    gpus: float  # GPU count (a power of two), as a float
    gpus_per_server: float  # gpus / 8
    hw_embodied_gwp: float  # kg CO2e of the GPUs + their share of the server
    hw_embodied_adpe: float
    hw_embodied_pe: float


@dataclass(frozen=True, slots=True)
class ModelPart:
    """A resolved (provider, model, params): everything but the electricity mix."""

    provider: str
    model: LLMModel
    requested_name: str
    pue: MinMax
    wue_onsite: MinMax
    tps: float | None
    ttft_s: float | None
    params_total_b: MinMax
    params_active_b: MinMax
    origin: str  # ecologits:0.11.3 | custom | explicit
    default_zone: str  # custom model's zone, else provider default, else WOR
    default_zone_source: str  # model | provider | world-default
    warnings: tuple[str, ...]  # the model's own warnings
    lo: Side
    hi: Side


@dataclass(frozen=True, slots=True)
class Group:
    """A resolved call: model part, zone and electricity mix."""

    part: ModelPart
    zone: str
    zone_source: str  # option | model | provider | world-default
    mix: ElectricityMix
    warnings: tuple[str, ...]  # model warnings then mix warnings, without repeats


def gpu_energy_per_token(active_b: float) -> float:
    """GPU energy per output token on one GPU, kWh (EcoLogits `gpu_energy` / token)."""
    per_token = GPU_ENERGY_ALPHA * EXP_BETA_BATCH * active_b + GPU_ENERGY_GAMMA
    per_token /= 1000
    return per_token


def latency_per_token(active_b: float, tps: float | None) -> float:
    """Seconds per output token: 1/tps when known, else EcoLogits' latency regression."""
    if tps is None:
        return LATENCY_ALPHA * active_b + LATENCY_BETA * BATCH_SIZE + LATENCY_GAMMA
    return 1 / tps


def model_memory_gb(total_b: float) -> float:
    return MEMORY_OVERHEAD * total_b * MODEL_QUANTIZATION_BITS / 8


def gpu_count(memory_gb: float) -> int:
    """ceil(memory / 80 GB), rounded up to a power of two (1, 2, 4, 8, ...)."""
    n = math.ceil(memory_gb / GPU_MEMORY_GB)
    if n < 1:
        raise ValueError("model memory must be > 0")
    return 1 << (n - 1).bit_length()


def _side(
    active_b: float,
    total_b: float,
    pue: float,
    wue_onsite: float,
    tps: float | None,
    ttft: float | None,
    prefill_ratio: float,
) -> Side:
    memory = model_memory_gb(total_b)
    gpus = gpu_count(memory)
    g8 = gpus / SERVER_GPUS
    return Side(
        active_b=active_b,
        total_b=total_b,
        pue=pue,
        wue_onsite=wue_onsite,
        prefill_ratio=prefill_ratio,
        gpu_energy_per_token=gpu_energy_per_token(active_b),
        latency_per_token=latency_per_token(active_b, tps),
        ttft=ttft or 0.0,
        memory_gb=memory,
        gpus=float(gpus),
        gpus_per_server=g8,
        hw_embodied_gwp=g8 * SERVER_EMBODIED_GWP + gpus * GPU_EMBODIED_GWP,
        hw_embodied_adpe=g8 * SERVER_EMBODIED_ADPE + gpus * GPU_EMBODIED_ADPE,
        hw_embodied_pe=g8 * SERVER_EMBODIED_PE + gpus * GPU_EMBODIED_PE,
    )


def _bounds(value: Any, field: str) -> MinMax:
    try:
        return MinMax.of(value)
    except ValueError as exc:
        raise LLMError("invalid-value", f"{field}: {exc}", field=f"options.{field}") from None


def _positive_or_none(value: Any, field: str, *, allow_zero: bool = False) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise LLMError("invalid-value", f"{field} must be a number", field=f"options.{field}")
    v = float(value)
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise LLMError(
            "invalid-value",
            f"{field} must be a finite number {'>= 0' if allow_zero else '> 0'}",
            field=f"options.{field}",
        )
    return v


def _dedupe(codes: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(codes))


def resolve_model(
    catalogue: ModelCatalogue,
    provider: str,
    model_name: str,
    params: LLMParams | None,
    method: str,
) -> ModelPart:
    """Resolve the model and its data-centre profile; raise LLMError if impossible.

    Precedence: explicit `params` > custom model > built-in model, field by field for tps/ttft
    and PUE/WUE.
    """
    if not isinstance(provider, str) or not provider.strip():
        raise LLMError(
            "invalid-value", "provider must be a non-empty string", field="options.provider"
        )
    if not isinstance(model_name, str) or not model_name.strip():
        raise LLMError("invalid-value", "model must be a non-empty string", field="options.model")
    model = catalogue.find_model(provider, model_name)
    prov = catalogue.normalise_provider(provider)
    profile = catalogue.provider_profile(prov)

    # -- architecture and deployment (model lookup first, as EcoLogits) ------------------------
    explicit = params is not None and params.has_architecture
    if params is not None and params.has_architecture:
        given_total = params.params_total_b
        given_active = params.params_active_b
        total = _bounds(given_total if given_total is not None else given_active, "params_total_b")
        active = total if given_active is None else _bounds(given_active, "params_active_b")
        if total.min <= 0 or active.min <= 0:
            raise LLMError(
                "invalid-value", "parameter counts must be > 0", field="options.params_total_b"
            )
        if active.min > total.min or active.max > total.max:
            raise LLMError(
                "invalid-value",
                "active parameters cannot exceed total parameters",
                field="options.params_active_b",
            )
        base_tps = model.tps if model is not None else None
        base_ttft = model.ttft_s if model is not None else None
        origin = "explicit"
    elif model is not None:
        total, active = model.params_total_b, model.params_active_b
        base_tps, base_ttft = model.tps, model.ttft_s
        origin = model.origin
    else:
        raise LLMError(
            "model-not-registered",
            f"Could not find model `{model_name}` for {provider} provider; give params_total_b "
            "(and params_active_b for a mixture-of-experts model) or register a custom model.",
            field="options.model",
        )
    tps = base_tps
    ttft = base_ttft
    if params is not None:
        if params.tps is not None:
            tps = _positive_or_none(params.tps, "tps")
        if params.ttft_s is not None:
            ttft = _positive_or_none(params.ttft_s, "ttft_s", allow_zero=True)
        if any(v is not None for v in (params.tps, params.ttft_s, params.pue, params.wue_onsite)):
            origin = "explicit"

    # -- data centre ---------------------------------------------------------------------------
    def pick(name: str, given: Any, from_model: MinMax | None, from_prof: MinMax | None) -> MinMax:
        if given is not None:
            return _bounds(given, name)
        if from_model is not None:
            return from_model
        if from_prof is not None:
            return from_prof
        raise LLMError(
            "provider-not-registered",
            f"No data-centre profile for provider `{provider}`; give pue and wue_onsite.",
            field="options.provider",
        )

    pue = pick(
        "pue",
        params.pue if params else None,
        model.pue if model else None,
        profile.pue if profile else None,
    )
    wue = pick(
        "wue_onsite",
        params.wue_onsite if params else None,
        model.wue_onsite if model else None,
        profile.wue_onsite if profile else None,
    )
    if pue.min < 1:
        raise LLMError("invalid-value", "pue must be >= 1", field="options.pue")
    if wue.min < 0:
        raise LLMError("invalid-value", "wue_onsite must be >= 0", field="options.wue_onsite")

    if model is not None and model.zone is not None:
        default_zone, default_source = model.zone, "model"
    elif profile is not None:
        default_zone, default_source = profile.zone, "provider"
    else:
        default_zone, default_source = WORLD_ZONE, "world-default"

    # -- sides ---------------------------------------------------------------------------------
    if method == METHOD_EXTENDED:
        rho_lo, rho_hi = PREFILL_RATIO.min, PREFILL_RATIO.max
    else:
        rho_lo = rho_hi = 0.0
    lo = _side(active.min, total.min, pue.min, wue.min, tps, ttft, rho_lo)
    hi = _side(active.max, total.max, pue.max, wue.max, tps, ttft, rho_hi)

    resolved_model = model
    if resolved_model is None:
        resolved_model = LLMModel(
            provider=prov,
            name=model_name.strip(),
            architecture="dense" if active == total else "moe",
            params_total_b=total,
            params_active_b=active,
            tps=tps,
            ttft_s=ttft,
            origin="explicit",
        )
    return ModelPart(
        provider=prov,
        model=resolved_model,
        requested_name=model_name,
        pue=pue,
        wue_onsite=wue,
        tps=tps,
        ttft_s=ttft,
        params_total_b=total,
        params_active_b=active,
        origin=origin,
        default_zone=default_zone,
        default_zone_source=default_source,
        warnings=() if explicit else resolved_model.warnings,
        lo=lo,
        hi=hi,
    )


def resolve_zone(
    catalogue: ModelCatalogue, zone: str | None, part: ModelPart
) -> tuple[ElectricityMix, str]:
    """The electricity mix: option zone > custom model's zone > provider default > WOR."""
    if zone is None:
        return lookup_zone(catalogue, part.default_zone), part.default_zone_source
    return lookup_zone(catalogue, zone), "option"


def lookup_zone(catalogue: ModelCatalogue, zone: Any) -> ElectricityMix:
    """The mix of `zone` (alpha-3, alpha-2, WOR, EEE); LLMError zone-not-registered if none."""
    if not isinstance(zone, str):
        raise LLMError("invalid-value", "zone must be a string", field="options.zone")
    mix = catalogue.mix(zone)
    if mix is None:
        raise LLMError(
            "zone-not-registered",
            f"Could not find electricity mix for `{zone}` zone.",
            field="options.zone",
        )
    return mix


def resolve(
    catalogue: ModelCatalogue,
    provider: str,
    model_name: str,
    zone: str | None,
    params: LLMParams | None,
    method: str,
) -> Group:
    """Resolve model, data centre and mix, in EcoLogits' order (model first, then zone)."""
    part = resolve_model(catalogue, provider, model_name, params, method)
    mix, source = resolve_zone(catalogue, zone, part)
    return Group(
        part=part,
        zone=mix.zone,
        zone_source=source,
        mix=mix,
        warnings=_dedupe(part.warnings + mix.warnings),
    )


# --------------------------------------------------------------------------------------------
# The formula chain
# --------------------------------------------------------------------------------------------

# `Num` is a Python float (one request) or a float64 numpy array (a batch, element-wise). Only
# +, -, *, / and one comparison are used, so both paths perform the same IEEE-754 operations.
Num = Any


@dataclass(frozen=True, slots=True)
class ChainOut:
    tokens: Num  # output tokens, plus prefill-equivalent tokens in extended mode
    gpu_energy: Num  # kWh, one GPU
    latency: Num  # s, generation time after the request-latency cap
    server_energy: Num  # kWh, server without GPUs (this request's share)
    it_energy: Num  # kWh
    energy: Num  # kWh, x PUE
    usage_gwp: Num
    usage_adpe: Num
    usage_pe: Num
    water: Num  # L (usage only)
    embodied_gwp: Num
    embodied_adpe: Num
    embodied_pe: Num
    gwp: Num
    adpe: Num
    pe: Num


def _cap(latency: Num, request_latency: Num) -> Num:
    """EcoLogits: `request_latency if request_latency < latency else latency`."""
    if isinstance(latency, np.ndarray) or isinstance(request_latency, np.ndarray):
        return np.where(request_latency < latency, request_latency, latency)
    return request_latency if request_latency < latency else latency


def chain(
    output_tokens: Num,
    input_tokens: Num,
    request_latency: Num,
    *,
    prefill_ratio: Num,
    gpu_energy_per_token: Num,
    latency_per_token: Num,
    ttft: Num,
    gpus: Num,
    gpus_per_server: Num,
    pue: Num,
    wue_onsite: Num,
    hw_embodied_gwp: Num,
    hw_embodied_adpe: Num,
    hw_embodied_pe: Num,
    mix_gwp: Num,
    mix_adpe: Num,
    mix_pe: Num,
    mix_wue: Num,
    extended: bool,
) -> ChainOut:
    """One side of the EcoLogits 0.11.3 chain (order of operations as in its DAG)."""
    tokens = output_tokens + prefill_ratio * input_tokens if extended else output_tokens
    gpu_energy = tokens * gpu_energy_per_token
    latency = _cap(tokens * latency_per_token + ttft, request_latency)
    server_energy = (latency / 3600) * SERVER_POWER_KW * gpus_per_server * _INV_BATCH
    it_energy = server_energy + gpus * gpu_energy
    energy = pue * it_energy
    usage_gwp = energy * mix_gwp
    usage_adpe = energy * mix_adpe
    usage_pe = energy * mix_pe
    water = it_energy * (wue_onsite + pue * mix_wue)
    embodied_gwp = latency * hw_embodied_gwp / _EMBODIED_DENOMINATOR
    embodied_adpe = latency * hw_embodied_adpe / _EMBODIED_DENOMINATOR
    embodied_pe = latency * hw_embodied_pe / _EMBODIED_DENOMINATOR
    return ChainOut(
        tokens=tokens,
        gpu_energy=gpu_energy,
        latency=latency,
        server_energy=server_energy,
        it_energy=it_energy,
        energy=energy,
        usage_gwp=usage_gwp,
        usage_adpe=usage_adpe,
        usage_pe=usage_pe,
        water=water,
        embodied_gwp=embodied_gwp,
        embodied_adpe=embodied_adpe,
        embodied_pe=embodied_pe,
        gwp=usage_gwp + embodied_gwp,
        adpe=usage_adpe + embodied_adpe,
        pe=usage_pe + embodied_pe,
    )


def chain_side(
    side: Side,
    mix: ElectricityMix,
    output_tokens: Num,
    input_tokens: Num,
    request_latency: Num,
    *,
    extended: bool,
) -> ChainOut:
    """`chain()` with the constants of one resolved side (scalar path)."""
    return chain(
        output_tokens,
        input_tokens,
        request_latency,
        prefill_ratio=side.prefill_ratio,
        gpu_energy_per_token=side.gpu_energy_per_token,
        latency_per_token=side.latency_per_token,
        ttft=side.ttft,
        gpus=side.gpus,
        gpus_per_server=side.gpus_per_server,
        pue=side.pue,
        wue_onsite=side.wue_onsite,
        hw_embodied_gwp=side.hw_embodied_gwp,
        hw_embodied_adpe=side.hw_embodied_adpe,
        hw_embodied_pe=side.hw_embodied_pe,
        mix_gwp=mix.gwp,
        mix_adpe=mix.adpe,
        mix_pe=mix.pe,
        mix_wue=mix.wue,
        extended=extended,
    )


WARN_INPUT_NOT_COUNTED: Final = "input-tokens-not-counted"
WARN_CUSTOM_PARAMETERS: Final = "custom-model-parameters"


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


def check_method(method: str) -> bool:
    if method not in METHODOLOGIES:
        raise LLMError(
            "invalid-value",
            f"method must be one of {sorted(METHODOLOGIES)}, got {method!r}",
            field="options.method",
        )
    return method == METHOD_EXTENDED


def check_tokens(value: Any, name: str) -> int:
    bad = LLMError("invalid-value", f"{name} must be an integer >= 0", field=f"options.{name}")
    if isinstance(value, bool | np.bool_):
        raise bad
    if isinstance(value, int | np.integer):
        n = int(value)
    elif isinstance(value, float | np.floating) and math.isfinite(value) and value == int(value):
        n = int(value)
    else:
        raise bad
    if n < 0 or n > MAX_TOKENS:
        raise bad
    return n


def check_latency(value: Any) -> float:
    """Request latency cap in seconds; None -> +inf (no cap), as EcoLogits' default."""
    if value is None:
        return math.inf
    if isinstance(value, bool | np.bool_) or not isinstance(
        value, int | float | np.integer | np.floating
    ):
        raise LLMError("invalid-value", "latency_s must be a number", field="options.latency_s")
    v = float(value)
    if math.isnan(v) or v <= 0:
        raise LLMError("invalid-value", "latency_s must be > 0", field="options.latency_s")
    return v
