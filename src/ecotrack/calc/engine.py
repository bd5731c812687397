"""The estimate engine: request -> (cached) plan -> result.

Resolving a request (activity, unit, region, year, source, options) into a `Plan` is the
expensive part (factor lookups, unit parsing, option validation); it happens once per distinct
key and per factor registry, then `estimate()` costs a dict lookup and a few multiplications.
Errors are cached too, so a batch full of the same bad item fails fast.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np

from ecotrack.calc._base import (
    ActivitySpec,
    Ctx,
    PlanBuilder,
    esc,
    lib_method,
    unit_label,
    validate_options,
)
from ecotrack.calc.activities import ACTIVITIES, get_activity
from ecotrack.calc.errors import (
    INVALID_AMOUNT,
    INVALID_OPTION,
    REGION_NOT_SUPPORTED,
    SOURCE_NOT_AVAILABLE,
    CalcError,
)
from ecotrack.calc.types import EstimateRequest, EstimateResult, Plan
from ecotrack.calc.units import parse_unit, unit_error

PlanKey = tuple[Hashable, ...]

_MAX_REGISTRIES = 32
_MAX_PLANS_PER_REGISTRY = 200_000


def default_factors() -> Any:
    """The process-wide factor registry (loaded lazily by the factor library)."""
    from ecotrack.factors.registry import get_registry

    return get_registry()


class PlanCache:
    """Plans (or the CalcError a key raises) per factor registry, keyed by the raw request key.

    Registries are held strongly (so `id()` cannot be reused while cached) and evicted LRU;
    override views made per request therefore cannot grow the cache without bound.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._regs: OrderedDict[int, tuple[Any, dict[PlanKey, Plan | CalcError]]] = OrderedDict()

    def table(self, reg: Any) -> dict[PlanKey, Plan | CalcError]:
        rid = id(reg)
        entry = self._regs.get(rid)
        if entry is not None and entry[0] is reg:
            return entry[1]
        with self._lock:
            entry = self._regs.get(rid)
            if entry is None or entry[0] is not reg:
                entry = (reg, {})
                self._regs[rid] = entry
                while len(self._regs) > _MAX_REGISTRIES:
                    self._regs.popitem(last=False)
            else:
                self._regs.move_to_end(rid)
        return entry[1]

    def clear(self) -> None:
        with self._lock:
            self._regs.clear()

    def size(self) -> int:
        return sum(len(t) for _, t in self._regs.values())


PLANS = PlanCache()


def options_key(options: Any) -> Hashable:
    """Hashable form of an options mapping (raises TypeError for unhashable values)."""
    if not options:
        return ()
    if not isinstance(options, Mapping):
        raise TypeError("options must be a mapping")
    items = tuple(sorted(options.items()))
    hash(items)
    return items


def plan_key(
    activity: Any, unit: Any, region: Any, year: Any, source: Any, options: Any
) -> PlanKey:
    return (activity, unit, region, year, source, options_key(options))


# ---------------------------------------------------------------------------------------------
# Resolution
# ---------------------------------------------------------------------------------------------
def _normalise_region(reg: Any, region: Any, warnings: list[str]) -> str | None:
    """ISO alpha-2 (alpha-3 and `UK` accepted), `US-<eGRID subregion>` kept as is, other
    ISO 3166-2 sub-national codes (`GB-SCT`) -> their country with a warning, `WORLD`."""
    if region is None:
        return None
    if not isinstance(region, str) or not region.strip():
        raise CalcError(
            REGION_NOT_SUPPORTED, f"region must be a code, got {region!r}", loc=["region"]
        )
    r = region.strip().upper()
    if r in ("WORLD", "GLOBAL", "WLD", "WOR"):
        return "WORLD"
    if r == "UK":
        return "GB"
    if r.startswith("US-") and len(r) > 3:
        return r
    if len(r) > 3 and r[2] == "-" and r[:2].isalpha():
        country = _normalise_region(reg, r[:2], warnings)
        warnings.append(f"no sub-national factors for {r}: used the country, {country}")
        return country
    if len(r) == 3 and r.isalpha():
        try:
            a2 = lib_method(reg, "to_alpha2")(r)
        except (KeyError, LookupError):
            a2 = None
        if not a2:
            raise CalcError(
                REGION_NOT_SUPPORTED,
                f"unknown region '{region}' (use ISO 3166 alpha-2)",
                loc=["region"],
            )
        return str(a2).upper()
    if len(r) == 2 and r.isalpha():
        try:
            lib_method(reg, "country")(r)
        except (KeyError, LookupError):
            raise CalcError(
                REGION_NOT_SUPPORTED,
                f"unknown region '{region}' (use ISO 3166 alpha-2, e.g. GB, US, FR)",
                loc=["region"],
            ) from None
        return r
    raise CalcError(
        REGION_NOT_SUPPORTED,
        f"unknown region '{region}' (use ISO 3166 alpha-2, 'US-<eGRID subregion>' or 'WORLD')",
        loc=["region"],
    )


def _normalise_source(spec: ActivitySpec, source: Any) -> str | None:
    if source is None:
        return None
    if not isinstance(source, str) or not source.strip():
        raise CalcError(
            SOURCE_NOT_AVAILABLE, f"source must be a dataset key, got {source!r}", loc=["source"]
        )
    s = source.strip().lower()
    s = spec.source_aliases.get(s, s)
    if s not in spec.sources:
        raise CalcError(
            SOURCE_NOT_AVAILABLE,
            f"source '{source}' is not available for {spec.name}; available: "
            + ", ".join(spec.sources),
            loc=["source"],
        )
    return s


def _check_year(year: Any) -> int | None:
    if year is None:
        return None
    if isinstance(year, (bool, np.bool_)):
        raise CalcError(INVALID_OPTION, f"year must be a whole number, got {year!r}", loc=["year"])
    if isinstance(year, np.integer):
        year = int(year)
    if not isinstance(year, int):
        if isinstance(year, (float, np.floating)) and float(year).is_integer():
            year = int(year)
        elif isinstance(year, str) and year.strip().isdigit():
            year = int(year.strip())
        else:
            raise CalcError(
                INVALID_OPTION, f"year must be a whole number, got {year!r}", loc=["year"]
            )
    if not 1900 <= year <= 2100:
        raise CalcError(INVALID_OPTION, f"year {year} is out of range (1900-2100)", loc=["year"])
    return year


def build_plan(
    reg: Any,
    activity: Any,
    unit: Any,
    region: Any,
    year: Any,
    source: Any,
    options: Any,
    *,
    amount: float | None = None,
) -> Plan:
    """Resolve one key into a Plan (uncached). Raises CalcError."""
    spec = get_activity(activity)
    if not isinstance(unit, str) or parse_unit(unit) is None:
        raise unit_error(str(unit), spec.units)
    opts = validate_options(spec, options or {})
    warnings: list[str] = []
    ctx = Ctx(
        spec=spec,
        reg=reg,
        unit=unit,
        region=_normalise_region(reg, region, warnings),
        year=_check_year(year),
        source=_normalise_source(spec, source),
        options=opts,
        amount=amount,
        warnings=warnings,
    )
    override = activity_override(ctx)
    if override is not None:
        return override
    return spec.resolver(ctx)


def activity_override(ctx: Ctx) -> Plan | None:
    """An organisation's own factor for this activity (override views only), used first.

    Views made by `registry.with_overrides(...)` carry `overrides.for_activity(activity,
    region, year)`; the most specific match wins. The override replaces the whole activity
    calculation: options that pick a library factor are not applied (a warning says so)."""
    ov_set = getattr(ctx.reg, "overrides", None)
    finder = getattr(ov_set, "for_activity", None)
    if finder is None or not ctx.spec.linear or ctx.source is not None:
        return None
    factor = finder(ctx.activity, ctx.region, ctx.year)
    if factor is None:
        return None
    conv = ctx.unit_to(factor.per_unit)
    if conv is None:
        ctx.warn(
            f"organisation override {factor.id} is per {factor.per_unit}, not convertible from "
            f"{ctx.unit}: not used"
        )
        return None
    b = PlanBuilder(ctx, source=factor.source_id.split(":", 1)[0])
    b.region = ctx.region
    b.normalise(factor.per_unit, conv)
    if conv != 1.0:
        b.note(
            f"{{amount}} {esc(ctx.unit)} = {{value}} {esc(unit_label(factor.per_unit))}",
            conv,
            factor.per_unit,
        )
    set_opts = [
        k for k, o in ((o.name, o) for o in ctx.spec.options) if ctx.options.get(k) != o.default
    ]
    ctx.warn(
        f"organisation override {factor.id} used for {ctx.activity}"
        + (f"; options not applied: {', '.join(set_opts)}" if set_opts else "")
    )
    b.add(factor, conv, label=factor.name, family=ctx.activity)
    return b.build(f"{ctx.spec.methodology}-override")


def resolve(
    reg: Any,
    activity: Any,
    unit: Any,
    region: Any = None,
    year: Any = None,
    source: Any = None,
    options: Any = None,
) -> Plan:
    """The cached plan for a key (raises the cached CalcError for a bad key)."""
    table = PLANS.table(reg)
    try:
        key = plan_key(activity, unit, region, year, source, options)
    except TypeError:
        # unhashable options: validate uncached (raises a precise error) and never cache
        return build_plan(reg, activity, unit, region, year, source, options)
    hit = table.get(key)
    if hit is None:
        try:
            hit = build_plan(reg, activity, unit, region, year, source, options)
        except CalcError as exc:
            hit = exc
        if len(table) >= _MAX_PLANS_PER_REGISTRY:
            table.clear()
        table[key] = hit
    if isinstance(hit, CalcError):
        raise hit
    return hit


def is_linear(activity: Any) -> bool:
    spec = ACTIVITIES.get(activity) if isinstance(activity, str) else None
    return spec is None or spec.linear


# Larger amounts are not a real activity in any unit, and keep every product finite.
MAX_AMOUNT: float = 1e15


def check_amount(amount: Any) -> float:
    """The amount as a float; `invalid-amount` unless a finite real number ≥ 0 (bools and
    numeric strings are refused; numpy integer/float scalars are accepted)."""
    if isinstance(amount, bool) or not isinstance(amount, (int, float)):
        if isinstance(amount, (np.integer, np.floating)):
            amount = float(amount)
        else:
            raise CalcError(
                INVALID_AMOUNT, f"amount must be a number, got {amount!r}", loc=["amount"]
            )
    try:
        x = float(amount)
    except OverflowError:
        raise CalcError(INVALID_AMOUNT, "amount is too large", loc=["amount"]) from None
    if math.isnan(x) or math.isinf(x):
        raise CalcError(INVALID_AMOUNT, f"amount must be finite, got {amount!r}", loc=["amount"])
    if x < 0:
        raise CalcError(INVALID_AMOUNT, f"amount must be ≥ 0, got {amount!r}", loc=["amount"])
    if x > MAX_AMOUNT:
        raise CalcError(
            INVALID_AMOUNT, f"amount must be at most {MAX_AMOUNT:g}, got {amount!r}", loc=["amount"]
        )
    return x


def result_of(plan: Plan, amount: float) -> EstimateResult:
    if plan.linear:
        return EstimateResult(
            amount * plan.kg_per_unit,
            amount * plan.low_per_unit,
            amount * plan.high_per_unit,
            amount,
            plan,
        )
    return EstimateResult(plan.kg_per_unit, plan.low_per_unit, plan.high_per_unit, amount, plan)


def estimate(
    request: EstimateRequest | Mapping[str, Any], *, factors: Any = None
) -> EstimateResult:
    """Estimate one request. `factors` is a factor registry or an override view (default: the
    process-wide registry). Raises `CalcError`."""
    if type(request) is not EstimateRequest and isinstance(request, Mapping):
        request = EstimateRequest.from_dict(request)
    reg = factors if factors is not None else default_factors()
    if not is_linear(request.activity):
        amount = check_amount(request.amount)
        plan = build_plan(
            reg,
            request.activity,
            request.unit,
            request.region,
            request.year,
            request.source,
            request.options,
            amount=amount,
        )
        return _finite(result_of(plan, amount))
    plan = resolve(
        reg,
        request.activity,
        request.unit,
        request.region,
        request.year,
        request.source,
        request.options,
    )
    return _finite(result_of(plan, check_amount(request.amount)))


def _finite(result: EstimateResult) -> EstimateResult:
    """Refuse a result that overflowed (an extreme amount times an extreme option)."""
    if not all(math.isfinite(v) for v in (result.co2e_kg, result.range.low, result.range.high)):
        raise CalcError(
            INVALID_AMOUNT,
            "the result is too large to represent: check the amount and the options",
            loc=["amount"],
        )
    return result


def clear_caches() -> None:
    """Drop cached plans (e.g. after the factor data changed in place)."""
    PLANS.clear()


__all__ = [
    "PLANS",
    "build_plan",
    "check_amount",
    "clear_caches",
    "default_factors",
    "estimate",
    "resolve",
    "result_of",
]
