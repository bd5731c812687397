"""Value types of the calculation engine: request, result, plan.

A `Plan` is what resolving (activity, unit, region, year, source, options) produces once: the
factor with its provenance, and every number per ONE input unit (kg CO2e, range bounds, gas
parts, metrics, explanation step values). Estimating an amount is then one multiplication per
number, which is why results of the scalar, batch and columnar paths are bit-for-bit equal.

`EstimateResult` keeps the plan and the amount; the derived parts (gases, explanation, metrics)
are computed on access, so building a result is cheap. All types are frozen dataclasses; use
`to_dict()` for JSON (the HTTP layer wraps them in pydantic models).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


def fmt_num(x: float) -> str:
    """A number for explanations: 10 significant digits, no float noise, no exponent for
    everyday magnitudes (3000 -> '3000', 0.20705 -> '0.20705', 621.15 -> '621.15')."""
    if not math.isfinite(x):
        return str(x)
    s = f"{x:.10g}"
    if "e" in s and 1e-9 <= abs(x) < 1e15:
        s = f"{float(s):.12f}".rstrip("0").rstrip(".")
    return s


@dataclass(frozen=True, slots=True)
class EstimateRequest:
    """One thing to estimate: `amount` of `unit` of `activity`.

    `region` is ISO 3166 alpha-2 (`GB`, `FR`), `US-<eGRID subregion>` or `WORLD`; `year` picks
    the dataset edition (nearest earlier, with a warning); `source` picks the dataset (`desnz`,
    `epa`/`egrid`, `ember`, `owid`, `useeio`, `ccf`, ...); `options` are activity-specific (see
    `list_activities()`).
    """

    activity: str
    amount: float
    unit: str
    region: str | None = None
    year: int | None = None
    source: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EstimateRequest:
        return cls(
            activity=data.get("activity"),  # type: ignore[arg-type]  # validated by the engine
            amount=data.get("amount"),  # type: ignore[arg-type]
            unit=data.get("unit"),  # type: ignore[arg-type]
            region=data.get("region"),
            year=data.get("year"),
            source=data.get("source"),
            options=data.get("options") or {},
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "activity": self.activity,
            "amount": self.amount,
            "unit": self.unit,
            "region": self.region,
            "year": self.year,
            "source": self.source,
            "options": dict(self.options),
        }


@dataclass(frozen=True, slots=True)
class FactorRef:
    """The factor an estimate used, with the provenance needed to cite it."""

    id: str
    name: str
    value: float
    unit: str
    per_unit: str
    source_id: str
    dataset: str
    edition: str
    year: int | None
    region: str | None
    licence: str
    attribution: str = ""
    url: str = ""
    gwp_set: str | None = None
    scope: str | None = None
    reference: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "value": self.value,
            "unit": self.unit,
            "per_unit": self.per_unit,
            "source_id": self.source_id,
            "dataset": self.dataset,
            "edition": self.edition,
            "year": self.year,
            "region": self.region,
            "licence": self.licence,
            "attribution": self.attribution,
            "url": self.url,
            "gwp_set": self.gwp_set,
            "scope": self.scope,
            "reference": self.reference,
        }


@dataclass(frozen=True, slots=True)
class Range:
    """Plausible low/high kg CO2e and where the spread comes from."""

    low: float
    high: float
    basis: str

    def to_dict(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high, "basis": self.basis}


@dataclass(frozen=True, slots=True)
class Step:
    """One line of an explanation: text, and the number it produces (if any)."""

    text: str
    value: float | None = None
    unit: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "value": self.value, "unit": self.unit}


@dataclass(frozen=True, slots=True)
class StepTemplate:
    """An explanation line before the amount is known.

    `text` may use `{amount}`, `{unit}`, `{norm}`, `{norm_unit}`, `{value}` and `{lhs}`;
    `value` is amount x `per_unit` (None for lines that state a constant, e.g. a distance) and
    `lhs` is amount x `lhs_per_unit` (the quantity a factor line multiplies).
    """

    text: str
    per_unit: float | None = None
    unit: str | None = None
    lhs_per_unit: float | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    """A resolved estimate, per ONE input unit (or absolute when `linear` is False)."""

    activity: str
    factor: FactorRef
    kg_per_unit: float
    low_per_unit: float
    high_per_unit: float
    range_basis: str
    unit: str
    norm_unit: str
    norm_per_unit: float
    source: str
    region: str | None
    year: int | None
    methodology: str
    steps: tuple[StepTemplate, ...] = ()
    warnings: tuple[str, ...] = ()
    gases_per_unit: tuple[tuple[str, float], ...] = ()
    metrics_per_unit: tuple[tuple[str, float], ...] = ()
    components: tuple[FactorRef, ...] = ()
    linear: bool = True

    def scale(self, amount: float) -> float:
        return amount if self.linear else 1.0


@dataclass(frozen=True, slots=True)
class EstimateResult:
    """The answer for one request. `co2e_kg` and the range bounds are stored; the rest is derived
    from the plan and the amount on access (same multiplication, so always consistent)."""

    co2e_kg: float
    low: float
    high: float
    amount: float
    plan: Plan = field(repr=False)

    # --- derived views -------------------------------------------------------------------
    @property
    def activity(self) -> str:
        return self.plan.activity

    @property
    def range(self) -> Range:
        return Range(self.low, self.high, self.plan.range_basis)

    @property
    def gases(self) -> dict[str, float]:
        s = self.plan.scale(self.amount)
        return {gas: s * per for gas, per in self.plan.gases_per_unit}

    @property
    def factor(self) -> FactorRef:
        return self.plan.factor

    @property
    def components(self) -> tuple[FactorRef, ...]:
        """Further factors the estimate added (T&D losses, grid factor of a cloud region, ...)."""
        return self.plan.components

    @property
    def unit(self) -> str:
        return self.plan.unit

    @property
    def amount_normalised(self) -> float:
        return self.plan.scale(self.amount) * self.plan.norm_per_unit

    @property
    def unit_normalised(self) -> str:
        return self.plan.norm_unit

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.plan.warnings

    @property
    def metrics(self) -> dict[str, float]:
        s = self.plan.scale(self.amount)
        return {name: s * per for name, per in self.plan.metrics_per_unit}

    @property
    def methodology(self) -> str:
        return self.plan.methodology

    @property
    def source(self) -> str:
        return self.plan.source

    @property
    def region(self) -> str | None:
        return self.plan.region

    @property
    def year(self) -> int | None:
        return self.plan.year

    @property
    def explanation(self) -> tuple[Step, ...]:
        p = self.plan
        s = p.scale(self.amount)
        fields = {
            "amount": fmt_num(self.amount),
            "unit": p.unit,
            "norm": fmt_num(self.amount_normalised),
            "norm_unit": p.norm_unit,
        }
        out = []
        for t in p.steps:
            value = None if t.per_unit is None else s * t.per_unit
            lhs = "" if t.lhs_per_unit is None else fmt_num(s * t.lhs_per_unit)
            text = t.text.format(
                **fields, value=fmt_num(value) if value is not None else "", lhs=lhs
            )
            out.append(Step(text, value, t.unit))
        return tuple(out)

    def to_dict(self) -> dict[str, Any]:
        return {
            "activity": self.activity,
            "co2e_kg": self.co2e_kg,
            "gases": self.gases,
            "range": self.range.to_dict(),
            "factor": self.factor.to_dict(),
            "components": [c.to_dict() for c in self.components],
            "amount": self.amount,
            "unit": self.unit,
            "amount_normalised": self.amount_normalised,
            "unit_normalised": self.unit_normalised,
            "region": self.region,
            "year": self.year,
            "source": self.source,
            "explanation": [s.to_dict() for s in self.explanation],
            "warnings": list(self.warnings),
            "metrics": self.metrics,
            "methodology": self.methodology,
        }


_new = object.__new__
_set_co2e = EstimateResult.__dict__["co2e_kg"].__set__
_set_low = EstimateResult.__dict__["low"].__set__
_set_high = EstimateResult.__dict__["high"].__set__
_set_amount = EstimateResult.__dict__["amount"].__set__
_set_plan = EstimateResult.__dict__["plan"].__set__


def make_result(
    co2e_kg: float, low: float, high: float, amount: float, plan: Plan
) -> EstimateResult:
    """`EstimateResult(...)` without the frozen-dataclass `__init__` overhead (hot path of the
    batch API: the slot descriptors are set directly; the result is the same frozen object)."""
    r: EstimateResult = _new(EstimateResult)
    _set_co2e(r, co2e_kg)
    _set_low(r, low)
    _set_high(r, high)
    _set_amount(r, amount)
    _set_plan(r, plan)
    return r
