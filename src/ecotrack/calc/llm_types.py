"""Result types of the LLM-inference engine (`ecotrack.calc.llm`): one call and a batch."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ecotrack.calc.llm_core import (
    METHOD_ECOLOGITS,
    METHODOLOGIES,
    WARN_CUSTOM_PARAMETERS,
    WARN_INPUT_NOT_COUNTED,
)
from ecotrack.factors.llm import MinMax

# --------------------------------------------------------------------------------------------
# Result types
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Range:
    """A figure with its bounds; `value` = (min + max) / 2 (EcoLogits' RangeValue.mean)."""

    value: float
    min: float
    max: float

    @classmethod
    def of(cls, lo: float, hi: float) -> Range:
        return cls((lo + hi) / 2, lo, hi)

    def to_dict(self) -> dict[str, float]:
        return {"value": self.value, "min": self.min, "max": self.max}


@dataclass(frozen=True, slots=True)
class LLMUsage:
    energy_kwh: Range
    gwp_kg: Range
    adpe_kgsbeq: Range
    pe_mj: Range
    water_l: Range


@dataclass(frozen=True, slots=True)
class LLMEmbodied:
    gwp_kg: Range
    adpe_kgsbeq: Range
    pe_mj: Range


@dataclass(frozen=True, slots=True)
class ResolvedModel:
    """The parameters the calculation used."""

    provider: str
    name: str  # canonical name
    requested_name: str  # as given (may be an alias)
    origin: str  # ecologits:0.11.3 | custom | explicit
    architecture: str  # dense | moe
    params_total_b: MinMax
    params_active_b: MinMax
    tps: float | None
    ttft_s: float | None
    pue: MinMax
    wue_onsite: MinMax
    gpu_count: MinMax
    sources: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ExplanationStep:
    """One step of the calculation: what, how, and its value for the min and max sets."""

    key: str
    text: str
    formula: str
    min: float
    max: float
    unit: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "text": self.text,
            "formula": self.formula,
            "min": self.min,
            "max": self.max,
            "unit": self.unit,
        }


@dataclass(frozen=True, slots=True)
class LLMImpacts:
    """Impacts of one LLM call. Totals: gwp/adpe/pe = usage + embodied; water is usage only."""

    energy_kwh: Range
    gwp_kg: Range
    adpe_kgsbeq: Range
    pe_mj: Range
    water_l: Range
    usage: LLMUsage
    embodied: LLMEmbodied
    zone: str
    zone_source: str  # option | model | provider | world-default
    model: ResolvedModel
    warnings: tuple[str, ...]
    explanation: tuple[ExplanationStep, ...]
    methodology: str  # ecologits-0.11.3 | ecotrack-extended-1
    output_tokens: int
    input_tokens: int
    latency_s: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        m = self.model
        return {
            "methodology": self.methodology,
            "energy_kwh": self.energy_kwh.to_dict(),
            "gwp_kg": self.gwp_kg.to_dict(),
            "adpe_kgsbeq": self.adpe_kgsbeq.to_dict(),
            "pe_mj": self.pe_mj.to_dict(),
            "water_l": self.water_l.to_dict(),
            "usage": {
                "energy_kwh": self.usage.energy_kwh.to_dict(),
                "gwp_kg": self.usage.gwp_kg.to_dict(),
                "adpe_kgsbeq": self.usage.adpe_kgsbeq.to_dict(),
                "pe_mj": self.usage.pe_mj.to_dict(),
                "water_l": self.usage.water_l.to_dict(),
            },
            "embodied": {
                "gwp_kg": self.embodied.gwp_kg.to_dict(),
                "adpe_kgsbeq": self.embodied.adpe_kgsbeq.to_dict(),
                "pe_mj": self.embodied.pe_mj.to_dict(),
            },
            "zone": self.zone,
            "zone_source": self.zone_source,
            "model": {
                "provider": m.provider,
                "name": m.name,
                "requested_name": m.requested_name,
                "origin": m.origin,
                "architecture": m.architecture,
                "params_total_b": _mm(m.params_total_b),
                "params_active_b": _mm(m.params_active_b),
                "tps": m.tps,
                "ttft_s": m.ttft_s,
                "pue": _mm(m.pue),
                "wue_onsite": _mm(m.wue_onsite),
                "gpu_count": _mm(m.gpu_count),
                "sources": list(m.sources),
            },
            "inputs": {
                "output_tokens": self.output_tokens,
                "input_tokens": self.input_tokens,
                "latency_s": self.latency_s,
            },
            "warnings": list(self.warnings),
            "explanation": [s.to_dict() for s in self.explanation],
        }


def _mm(v: MinMax) -> dict[str, float]:
    return {"min": v.min, "max": v.max}


@dataclass(frozen=True, slots=True)
class RangeArray:
    """Column of ranges: `min`/`max` float64 arrays (NaN on error rows); `value` the midpoint."""

    min: NDArray[np.float64]
    max: NDArray[np.float64]

    @property
    def value(self) -> NDArray[np.float64]:
        out: NDArray[np.float64] = (self.min + self.max) / 2
        return out


@dataclass(frozen=True)
class LLMBatchResult:
    """Columnar result of `estimate_llm_batch`, rows in input order.

    Rows with an error have `error_code`/`error_field` set (else None) and NaN figures.
    """

    methodology: str
    energy_kwh: RangeArray
    gwp_kg: RangeArray
    adpe_kgsbeq: RangeArray
    pe_mj: RangeArray
    water_l: RangeArray
    usage_gwp_kg: RangeArray
    usage_adpe_kgsbeq: RangeArray
    usage_pe_mj: RangeArray
    embodied_gwp_kg: RangeArray
    embodied_adpe_kgsbeq: RangeArray
    embodied_pe_mj: RangeArray
    zone: NDArray[np.object_]  # zone used (alpha-3 / WOR / EEE) or None
    model: NDArray[np.object_]  # canonical model name or None
    error_code: NDArray[np.object_]
    error_field: NDArray[np.object_]
    ok: NDArray[np.bool_]  # True where the row has no error
    # For warnings(), built on demand: row -> model / mix, and their warnings.
    model_index: NDArray[np.intp] = field(repr=False)
    mix_index: NDArray[np.intp] = field(repr=False)
    model_warnings: tuple[tuple[tuple[str, ...], bool], ...] = field(repr=False)
    mix_warnings: tuple[tuple[str, ...], ...] = field(repr=False)
    input_tokens: NDArray[np.float64] = field(repr=False)

    def __len__(self) -> int:
        return int(self.ok.shape[0])

    @property
    def error_count(self) -> int:
        return int(len(self) - np.count_nonzero(self.ok))

    def warnings(self) -> list[tuple[str, ...]]:
        """Warning codes per row, as `estimate_llm` gives them (built on demand)."""
        flag = (self.input_tokens > 0) & (self.methodology == METHODOLOGIES[METHOD_ECOLOGITS])
        cache: dict[tuple[int, int, bool], tuple[str, ...]] = {}
        out: list[tuple[str, ...]] = []
        rows = zip(
            self.model_index.tolist(),
            self.mix_index.tolist(),
            flag.tolist(),
            self.ok.tolist(),
            strict=True,
        )
        for mi, xi, f, good in rows:
            if not good:
                out.append(())
                continue
            key = (mi, xi, f)
            w = cache.get(key)
            if w is None:
                model_w, custom = self.model_warnings[mi]
                w = tuple(dict.fromkeys(model_w + self.mix_warnings[xi]))
                if custom:
                    w += (WARN_CUSTOM_PARAMETERS,)
                if f:
                    w += (WARN_INPUT_NOT_COUNTED,)
                cache[key] = w
            out.append(w)
        return out

    def row(self, i: int) -> dict[str, Any]:
        """One row as a JSON-friendly dict."""
        if self.error_code[i] is not None:
            return {"error": {"code": self.error_code[i], "field": self.error_field[i]}}

        def r(col: RangeArray) -> dict[str, float]:
            lo, hi = float(col.min[i]), float(col.max[i])
            return {"value": (lo + hi) / 2, "min": lo, "max": hi}

        return {
            "methodology": self.methodology,
            "zone": self.zone[i],
            "model": self.model[i],
            "energy_kwh": r(self.energy_kwh),
            "gwp_kg": r(self.gwp_kg),
            "adpe_kgsbeq": r(self.adpe_kgsbeq),
            "pe_mj": r(self.pe_mj),
            "water_l": r(self.water_l),
            "usage": {
                "gwp_kg": r(self.usage_gwp_kg),
                "adpe_kgsbeq": r(self.usage_adpe_kgsbeq),
                "pe_mj": r(self.usage_pe_mj),
            },
            "embodied": {
                "gwp_kg": r(self.embodied_gwp_kg),
                "adpe_kgsbeq": r(self.embodied_adpe_kgsbeq),
                "pe_mj": r(self.embodied_pe_mj),
            },
        }
