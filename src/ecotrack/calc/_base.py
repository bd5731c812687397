"""Building blocks of the activity vocabulary: specs, option validation, plan building.

An activity is an `ActivitySpec` (name, category, accepted units, options, sources) plus a
resolver `(Ctx) -> Plan`. Resolvers run once per distinct (activity, unit, region, year,
source, options) key; the engine caches their plans.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ecotrack.calc.errors import (
    FACTOR_NOT_FOUND,
    INVALID_OPTION,
    REGION_NOT_SUPPORTED,
    SOURCE_NOT_AVAILABLE,
    CalcError,
)
from ecotrack.calc.types import FactorRef, Plan, StepTemplate, fmt_num
from ecotrack.calc.units import parse_unit, try_multiplier, unit_error
from ecotrack.factors.types import Factor, Resolved, Source

CATEGORIES = ("electricity", "transportation", "heating", "waste", "lifestyle", "other")

# ---------------------------------------------------------------------------------------------
# Default relative uncertainty (fraction of the value) where a dataset publishes none.
# EcoTrack conventions, documented in docs/methodology.md ("Ranges"); they are NOT published by
# the datasets. Keys: (dataset, family).
# ---------------------------------------------------------------------------------------------
DEFAULT_UNCERTAINTY: dict[tuple[str, str], float] = {
    ("desnz", "electricity"): 0.10,
    ("desnz", "fuel"): 0.05,
    ("desnz", "road"): 0.20,
    ("desnz", "rail"): 0.20,
    ("desnz", "sea"): 0.30,
    ("desnz", "air"): 0.30,
    ("desnz", "waste"): 0.50,
    ("desnz", "water"): 0.20,
    ("desnz", "hotel"): 0.50,
    ("egrid", "electricity"): 0.10,
    ("epa", "fuel"): 0.05,
    ("epa", "road"): 0.20,
    ("epa", "rail"): 0.20,
    ("epa", "air"): 0.30,
    ("epa", "waste"): 0.50,
    ("ember", "electricity"): 0.15,
    ("owid", "electricity"): 0.15,
    ("useeio", "spend"): 0.50,
    ("ccf", "cloud"): 0.50,
    ("ember", "cloud"): 0.50,
    ("user", "electricity"): 0.0,
}
FALLBACK_UNCERTAINTY = 0.30


def default_uncertainty(dataset: str, family: str) -> tuple[float, str]:
    frac = DEFAULT_UNCERTAINTY.get((dataset, family), FALLBACK_UNCERTAINTY)
    if dataset == "user" or dataset.startswith("org"):
        return 0.0, "user or organisation factor: no uncertainty information, range = value"
    return frac, (
        f"EcoTrack default ±{fmt_num(frac * 100)} % for {dataset} {family} factors "
        "(the dataset publishes no uncertainty; see docs/methodology.md#ranges)"
    )


# ---------------------------------------------------------------------------------------------
# Specs
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OptionSpec:
    name: str
    type: str  # "str" | "float" | "int" | "bool" | "range" (a number or {min, max})
    description: str
    default: Any = None
    choices: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    aliases: Mapping[str, str] = field(default_factory=dict)  # accepted spellings -> choice

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "description": self.description,
            "default": self.default,
        }
        if self.choices is not None:
            out["choices"] = list(self.choices)
        if self.minimum is not None:
            out["minimum"] = self.minimum
            out["exclusive_minimum"] = self.exclusive_minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        return out


@dataclass(frozen=True)
class ActivitySpec:
    name: str
    category: str
    description: str
    units: tuple[str, ...]  # accepted units (each a representative of an accepted dimension)
    options: tuple[OptionSpec, ...]
    sources: tuple[str, ...]  # datasets this activity can use
    default_source: Mapping[str, str]  # region rule -> dataset ("GB", "US", "*")
    methodology: str
    resolver: Callable[[Ctx], Plan] = field(repr=False, compare=False)
    source_aliases: Mapping[str, str] = field(default_factory=dict)
    linear: bool = True  # False: the plan depends on the amount (not cacheable per unit)

    def option(self, name: str) -> OptionSpec | None:
        for o in self.options:
            if o.name == name:
                return o
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "category": self.category,
            "description": self.description,
            "units": list(self.units),
            "options": [o.to_dict() for o in self.options],
            "sources": list(self.sources),
            "default_source": dict(self.default_source),
            "methodology": self.methodology,
        }


# ---------------------------------------------------------------------------------------------
# Option validation
# ---------------------------------------------------------------------------------------------
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def _opt_error(name: str, msg: str) -> CalcError:
    return CalcError(INVALID_OPTION, f"options.{name}: {msg}", loc=["options", name])


def coerce_option(spec: OptionSpec, value: Any) -> Any:
    if value is None:
        return spec.default
    if spec.type == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise _opt_error(spec.name, f"expected true or false, got {value!r}")
    if spec.type == "range":
        # a number, or {"min": a, "max": b} with a <= b (for parameters known only as a range)
        if isinstance(value, Mapping):
            if set(value) != {"min", "max"}:
                raise _opt_error(spec.name, "expected a number or an object {min, max}")
            number = OptionSpec(
                spec.name, "float", "", minimum=spec.minimum, maximum=spec.maximum,
                exclusive_minimum=spec.exclusive_minimum,
            )  # fmt: skip
            lo_v, hi_v = coerce_option(number, value["min"]), coerce_option(number, value["max"])
            if lo_v > hi_v:
                raise _opt_error(spec.name, f"min {fmt_num(lo_v)} is above max {fmt_num(hi_v)}")
            return (lo_v, hi_v)
        spec = OptionSpec(spec.name, "float", "", minimum=spec.minimum, maximum=spec.maximum,
                          exclusive_minimum=spec.exclusive_minimum)  # fmt: skip
    if spec.type in ("float", "int"):
        if isinstance(value, bool):
            raise _opt_error(spec.name, f"expected a number, got {value!r}")
        try:
            num = float(value) if not isinstance(value, (int, float)) else value
        except (TypeError, ValueError):
            raise _opt_error(spec.name, f"expected a number, got {value!r}") from None
        if not isinstance(num, (int, float)) or not math.isfinite(num):
            raise _opt_error(spec.name, f"expected a finite number, got {value!r}")
        if spec.type == "int":
            if float(num) != int(num):
                raise _opt_error(spec.name, f"expected a whole number, got {value!r}")
            num = int(num)
        else:
            num = float(num)
        lo, hi = spec.minimum, spec.maximum
        if lo is not None and (num < lo or (spec.exclusive_minimum and num == lo)):
            op = ">" if spec.exclusive_minimum else "≥"
            raise _opt_error(spec.name, f"must be {op} {fmt_num(lo)}, got {value!r}")
        if hi is not None and num > hi:
            raise _opt_error(spec.name, f"must be ≤ {fmt_num(hi)}, got {value!r}")
        return num
    # str
    if not isinstance(value, str):
        raise _opt_error(spec.name, f"expected a string, got {value!r}")
    text = value.strip()
    if spec.choices is None:
        if not text:
            raise _opt_error(spec.name, "must not be empty")
        return text
    low = text.lower().replace("-", "_").replace(" ", "_")
    if low in spec.choices:
        return low
    if low in spec.aliases:
        return spec.aliases[low]
    if text in spec.choices:
        return text
    raise _opt_error(
        spec.name, f"{value!r} is not one of the accepted values: {', '.join(spec.choices)}"
    )


def validate_options(spec: ActivitySpec, options: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(options, Mapping):
        raise CalcError(INVALID_OPTION, "options must be an object", loc=["options"])
    out: dict[str, Any] = {}
    for key in options:
        if spec.option(key) is None:
            accepted = ", ".join(o.name for o in spec.options) or "none"
            raise _opt_error(str(key), f"unknown option for {spec.name}; accepted: {accepted}")
    for o in spec.options:
        out[o.name] = coerce_option(o, options.get(o.name))
    return out


# ---------------------------------------------------------------------------------------------
# Resolution context
# ---------------------------------------------------------------------------------------------
@dataclass
class Ctx:
    spec: ActivitySpec
    reg: Any  # FactorRegistry or an override view (same lookup methods)
    unit: str
    region: str | None  # normalised: alpha-2, US-<subregion>, WORLD, or None
    year: int | None
    source: str | None  # requested dataset key (normalised) or None
    options: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    amount: float | None = None  # only for non-linear activities (plan depends on the amount)

    @property
    def activity(self) -> str:
        return self.spec.name

    def opt(self, name: str) -> Any:
        return self.options.get(name)

    def warn(self, msg: str) -> None:
        if msg not in self.warnings:
            self.warnings.append(msg)

    def unit_to(self, per_unit: str) -> float | None:
        return try_multiplier(self.unit, per_unit)

    def unit_error(self) -> CalcError:
        return unit_error(self.unit, self.spec.units)

    def require_source(self, allowed: Sequence[str], default: str) -> str:
        src = self.source or default
        if src not in allowed:
            raise CalcError(
                SOURCE_NOT_AVAILABLE,
                f"source '{src}' is not available for {self.activity}"
                + (f" in region {self.region}" if self.region else "")
                + f"; available: {', '.join(allowed)}",
                loc=["source"],
            )
        return src

    def region_error(self, msg: str) -> CalcError:
        return CalcError(REGION_NOT_SUPPORTED, msg, loc=["region"])


def factor_not_found(msg: str, loc: Sequence[str] = ()) -> CalcError:
    return CalcError(FACTOR_NOT_FOUND, msg, loc=list(loc))


# ---------------------------------------------------------------------------------------------
# Factor provenance
# ---------------------------------------------------------------------------------------------
#: Sources of data shipped by ecotrack.calc itself (e.g. the diet table), by source id.
LOCAL_SOURCES: dict[str, Source] = {}


def factor_ref(reg: Any, f: Factor) -> FactorRef:
    """FactorRef of a library Factor, with its Source's provenance."""
    src = LOCAL_SOURCES.get(f.source_id)
    if src is None:
        try:
            src = reg.source(f.source_id)
        except Exception:  # unknown source (user factor): keep what the factor itself says
            src = None
    return FactorRef(
        id=f.id,
        name=f.name,
        value=f.value,
        unit=f.unit,
        per_unit=f.per_unit,
        source_id=f.source_id,
        dataset=src.dataset if src else f.source_id.split(":", 1)[0],
        edition=src.edition if src else "",
        year=f.year,
        region=f.region,
        licence=src.licence if src else "",
        attribution=src.attribution if src else "",
        url=src.url if src else "",
        gwp_set=f.gwp_set or (src.gwp_set if src else None),
        scope=f.scope,
        reference=f.reference,
    )


def esc(text: str) -> str:
    """Escape braces of external text placed into a StepTemplate."""
    return text.replace("{", "{{").replace("}", "}}")


_UNIT_LABELS = {
    "passenger_km": "passenger-km",
    "passenger_mile": "passenger-mile",
    "room_night": "room-night",
    "person_day": "person-day",
    "m**3": "m³",
    "short_ton": "short ton",
    "vCPU_hour": "vCPU-hour",
    "GB_hour": "GB-hour",
}


def unit_label(u: str) -> str:
    """A unit as people write it in an explanation (`m**3` -> `m³`)."""
    return _UNIT_LABELS.get(u, u)


# ---------------------------------------------------------------------------------------------
# Plan building
# ---------------------------------------------------------------------------------------------
@dataclass
class Term:
    factor: Factor
    ref: FactorRef
    qty: float  # amount of factor.per_unit per ONE input unit
    label: str
    family: str
    scale: float = 1.0  # extra multiplier on the factor (e.g. 1 - renewable share)


class PlanBuilder:
    """Accumulates factor terms and explanation lines, then makes a Plan.

    kg per input unit = sum(term.factor.value * term.scale * term.qty). With one term, no scale
    and qty 1.0 this is exactly the factor value (no float noise), which keeps "1 unit returns
    the published value" exact.
    """

    def __init__(self, ctx: Ctx, *, source: str) -> None:
        self.ctx = ctx
        self.source = source
        self.terms: list[Term] = []
        self.steps: list[StepTemplate] = []
        self.metrics: list[tuple[str, float]] = []
        self.norm_unit: str | None = None
        self.norm_per_unit: float = 1.0
        self.year: int | None = None
        self.region: str | None = ctx.region
        self.range_override: tuple[float, float, str] | None = None  # per-unit low, high, basis
        self.primary_index = 0

    def note(self, text: str, per_unit: float | None = None, unit: str | None = None) -> None:
        self.steps.append(StepTemplate(text, per_unit, unit))

    def normalise(self, unit: str, per_input: float) -> None:
        self.norm_unit = unit
        self.norm_per_unit = per_input

    def add(
        self,
        factor: Factor,
        qty: float,
        *,
        label: str = "",
        family: str,
        scale: float = 1.0,
        amount_expr: str = "{lhs}",
        explain: bool = True,
    ) -> Term:
        ref = factor_ref(self.ctx.reg, factor)
        term = Term(factor, ref, qty, label or factor.name, family, scale)
        self.terms.append(term)
        if explain:
            per = factor.value * scale * qty if scale != 1.0 else factor.value * qty
            scale_txt = f" × {fmt_num(scale)}" if scale != 1.0 else ""
            per_label = unit_label(factor.per_unit)
            self.steps.append(
                StepTemplate(
                    f"{amount_expr} {esc(per_label)} × {fmt_num(factor.value)} "
                    f"{esc(factor.unit)}/{esc(per_label)}{scale_txt} "
                    f"({esc(factor.id)}, {esc(term.label)}) = {{value}} kg CO2e",
                    per,
                    "kg CO2e",
                    qty,
                )
            )
        return term

    def build(self, methodology: str) -> Plan:
        ctx = self.ctx
        if not self.terms:
            raise factor_not_found(f"no factor resolved for {ctx.activity}")
        kg = 0.0
        low = 0.0
        high = 0.0
        bases: list[str] = []
        gases: dict[str, float] | None = {}
        for t in self.terms:
            v = t.factor.value * t.scale * t.qty if t.scale != 1.0 else t.factor.value * t.qty
            kg = v if len(self.terms) == 1 else kg + v
            unc = t.factor.uncertainty
            if unc is not None:
                lo_f, hi_f, basis = unc.minus, unc.plus, unc.basis
            else:
                frac, basis = default_uncertainty(t.ref.dataset, t.family)
                lo_f = hi_f = frac
            low += v * (1.0 - lo_f)
            high += v * (1.0 + hi_f)
            if basis not in bases:
                bases.append(basis)
            if gases is not None:
                if not t.factor.gases:
                    gases = None if t.factor.value != 0 else gases
                else:
                    k = t.scale * t.qty
                    for gas, part in t.factor.gases:
                        gases[gas] = gases.get(gas, 0.0) + part * k
        if len(self.terms) == 1:
            low, high = (kg * (1.0 - lo_f), kg * (1.0 + hi_f))
        if self.range_override is not None:
            low, high, basis = self.range_override
            bases = [basis]
        if len(self.terms) > 1:
            self.steps.append(StepTemplate("Total = {value} kg CO2e", kg, "kg CO2e"))
        primary = self.terms[self.primary_index]
        others = tuple(t.ref for i, t in enumerate(self.terms) if i != self.primary_index)
        low, high = min(low, kg), max(high, kg)
        return Plan(
            activity=ctx.activity,
            factor=primary.ref,
            kg_per_unit=kg,
            low_per_unit=low,
            high_per_unit=high,
            range_basis="; ".join(bases),
            unit=ctx.unit,
            norm_unit=self.norm_unit or primary.factor.per_unit,
            norm_per_unit=self.norm_per_unit,
            source=self.source,
            region=self.region,
            year=self.year if self.year is not None else primary.factor.year,
            methodology=methodology,
            steps=tuple(self.steps),
            warnings=tuple(ctx.warnings),
            gases_per_unit=tuple(sorted(gases.items())) if gases else (),
            metrics_per_unit=tuple(self.metrics),
            components=others,
        )


def convert_or_fail(ctx: Ctx, to_unit: str) -> float:
    m = ctx.unit_to(to_unit)
    if m is None:
        raise ctx.unit_error()
    return m


def is_unit_like(ctx: Ctx, ref: str) -> bool:
    return ctx.unit_to(ref) is not None


def parsed_ok(unit: str) -> bool:
    return parse_unit(unit) is not None


# ---------------------------------------------------------------------------------------------
# Factor-library access (one place to adapt if its API changes)
# ---------------------------------------------------------------------------------------------
DESNZ_EDITIONS_FALLBACK = (2023, 2024, 2025)


def _lib_errors() -> tuple[type[BaseException], ...]:
    try:
        from ecotrack.factors.errors import FactorNotFound, ReferenceNotFound

        return (FactorNotFound, ReferenceNotFound, KeyError, LookupError)
    except ImportError:  # pragma: no cover - the library always ships errors.py
        return (KeyError, LookupError)


def lib_method(reg: Any, name: str) -> Callable[..., Any]:
    """`reg.<name>`, or the wrapped registry's for override views that don't proxy it."""
    fn = getattr(reg, name, None)
    if fn is None:
        inner = getattr(reg, "registry", None)
        fn = getattr(inner, name, None) if inner is not None else None
    if fn is None:
        raise factor_not_found(f"the factor library has no '{name}' lookup")
    return fn


def lib_call(
    fn: Callable[..., Any],
    *args: Any,
    loc: Sequence[str] = (),
    ctx: Ctx | None = None,
    **kwargs: Any,
) -> Any:
    """Call a factor-library lookup; its not-found errors become `factor-not-found`.

    Override views return `Resolved` (factor + warnings) where the registry returns a bare
    `Factor`: both are accepted; with `ctx`, a `Resolved` is unwrapped and its warnings kept."""
    try:
        out = fn(*args, **kwargs)
    except _lib_errors() as exc:
        msg = getattr(exc, "message", None) or (str(exc.args[0]) if exc.args else str(exc))
        raise factor_not_found(msg, loc) from None
    if ctx is not None and isinstance(out, Resolved):
        for w in out.warnings:
            ctx.warn(w)
        return out.factor
    return out


def lookup(ctx: Ctx, name: str, *args: Any, loc: Sequence[str] = (), **kwargs: Any) -> Any:
    """Call the library lookup `name` on ctx.reg (view-aware), unwrapping `Resolved`."""
    return lib_call(lib_method(ctx.reg, name), *args, loc=loc, ctx=ctx, **kwargs)


def dataset_years(reg: Any, dataset: str, fallback: Sequence[int] = ()) -> tuple[int, ...]:
    try:
        years = sorted({s.year for s in reg.sources() if s.dataset == dataset and s.year})
    except Exception:
        years = []
    return tuple(years) or tuple(fallback)


def pick_edition(ctx: Ctx, editions: Sequence[int], label: str) -> int:
    """The edition for ctx.year: exact, else nearest earlier (warning), else the first (warning).
    No year: the latest edition."""
    eds = sorted(editions)
    y = ctx.year
    if y is None:
        return eds[-1]
    if y in eds:
        return y
    earlier = [e for e in eds if e <= y]
    if earlier:
        e = earlier[-1]
        ctx.warn(f"{label} {y} edition not available; used the nearest earlier edition, {e}")
        return e
    ctx.warn(f"{label} {y} is earlier than the first edition shipped ({eds[0]}); used {eds[0]}")
    return eds[0]


def desnz_year(ctx: Ctx) -> int:
    eds = dataset_years(ctx.reg, "desnz", DESNZ_EDITIONS_FALLBACK)
    return pick_edition(ctx, eds, "DESNZ")


def desnz(
    ctx: Ctx,
    year: int,
    *,
    level1: str,
    level2: str | None = None,
    level3: str | None = None,
    level4: str | None = None,
    column_text: str | None = None,
    uom: str,
    ghg: str = "kg CO2e",
    loc: Sequence[str] = (),
) -> Factor:
    f: Factor = lookup(
        ctx,
        "desnz_lookup",
        year,
        level1=level1,
        level2=level2,
        level3=level3,
        level4=level4,
        column_text=column_text,
        uom=uom,
        ghg=ghg,
        loc=loc,
    )
    return f


def try_desnz(ctx: Ctx, year: int, **kw: Any) -> Factor | None:
    try:
        return desnz(ctx, year, **kw)
    except CalcError:
        return None


def synthetic_factor(
    *,
    id: str,
    name: str,
    value: float,
    per_unit: str,
    region: str | None,
    year: int,
    source_id: str = "user",
    reference: str = "",
    gases: tuple[tuple[str, float], ...] = (),
    gwp_set: str | None = None,
) -> Factor:
    return Factor(
        id=id,
        source_id=source_id,
        name=name,
        value=value,
        unit="kg CO2e",
        per_unit=per_unit,
        region=region or "WORLD",
        year=year,
        gwp_set=gwp_set,
        gases=gases,
        reference=reference,
    )


def warn_proxy_region(ctx: Ctx, dataset_label: str, covered: Sequence[str] = ("GB",)) -> None:
    if ctx.region is not None and ctx.region not in covered:
        ctx.warn(
            f"no {ctx.activity} factor specific to region {ctx.region}; used {dataset_label} "
            f"({'/'.join(covered)}) as a proxy"
        )


UNIT_KINDS: tuple[tuple[str, str], ...] = (
    ("energy", "kWh"),
    ("volume", "L"),
    ("mass", "kg"),
    ("length", "km"),
    ("passenger_length", "passenger_km"),
    ("count", "passenger"),
)


def unit_kind(ctx: Ctx) -> str | None:
    for kind, ref in UNIT_KINDS:
        if ctx.unit_to(ref) is not None:
            return kind
    return None
