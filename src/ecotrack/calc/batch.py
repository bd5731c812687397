"""Many estimates at once: `estimate_batch` (objects in, objects out) and `estimate_columns`
(columns in, numpy arrays out).

Both group rows by their plan key (activity, unit, region, year, source, options), resolve each
distinct key once through the engine's plan cache, and multiply amounts by the plan's per-unit
numbers with numpy. The per-row arithmetic is the same single float64 multiplication the scalar
`estimate()` does, so results are bit-for-bit equal to calling `estimate()` row by row.
Errors never abort a batch: a row that fails carries its `CalcError` (batch) or error code
(columns), in input order.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from operator import attrgetter
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ecotrack.calc.engine import (
    MAX_AMOUNT,
    check_amount,
    default_factors,
    estimate,
    is_linear,
    resolve,
)
from ecotrack.calc.errors import INVALID_AMOUNT, CalcError
from ecotrack.calc.types import EstimateRequest, EstimateResult, Plan, make_result

_FIELDS = ("activity", "unit", "region", "year", "source", "options")
_GC_PAUSE_MIN = 10_000


# =============================================================================================
# estimate_batch
# =============================================================================================
def _as_request(item: Any) -> EstimateRequest:
    if isinstance(item, EstimateRequest):
        return item
    if isinstance(item, Mapping):
        return EstimateRequest.from_dict(item)
    raise CalcError(
        "invalid-option", f"batch item must be an object, got {type(item).__name__}", loc=[]
    )


def estimate_batch(
    requests: Sequence[EstimateRequest | Mapping[str, Any]], *, factors: Any = None
) -> list[EstimateResult | CalcError]:
    """Estimate many requests; returns, in order, an `EstimateResult` or the `CalcError` of each.

    Items are grouped by plan key; each group is resolved once and computed with numpy.
    Large batches run with the cyclic garbage collector paused (process-wide, restored on
    exit; they allocate millions of acyclic objects and generational collections would
    otherwise dominate the run time)."""
    paused = len(requests) >= _GC_PAUSE_MIN and gc.isenabled()
    if paused:
        gc.disable()
    try:
        return _estimate_batch(requests, factors)
    finally:
        if paused:
            gc.enable()


_KEY = attrgetter("activity", "unit", "region", "year", "source")
_OPTIONS = attrgetter("options")
_AMOUNT = attrgetter("amount")
_INVALID = EstimateRequest("", 0.0, "")  # stands in for items that are not requests


def _factorise(values: Sequence[Any]) -> tuple[NDArray[np.intp], list[Any]]:
    """Codes (first-seen order) and the distinct values, with C-level dict operations."""
    uniq = list(dict.fromkeys(values))
    index = {v: i for i, v in enumerate(uniq)}
    codes = np.fromiter(map(index.__getitem__, values), dtype=np.intp, count=len(values))
    return codes, uniq


def _estimate_batch(
    requests: Sequence[EstimateRequest | Mapping[str, Any]], factors: Any
) -> list[EstimateResult | CalcError]:
    reg = factors if factors is not None else default_factors()
    n = len(requests)
    out = np.empty(n, dtype=object)  # filled by group (C-level scatter), None = not yet set
    reqs: list[EstimateRequest] = list(requests)  # type: ignore[arg-type]
    not_requests: dict[int, CalcError] = {}
    if not all(type(r) is EstimateRequest for r in reqs):
        for i, item in enumerate(reqs):
            if type(item) is not EstimateRequest:
                try:
                    reqs[i] = _as_request(item)
                except CalcError as exc:
                    not_requests[i] = exc
                    reqs[i] = _INVALID

    # group rows: (activity, unit, region, year, source) x options object
    kcodes, keys = _factorise(list(map(_KEY, reqs)))
    opts = list(map(_OPTIONS, reqs))
    ocodes, oids = _factorise(list(map(id, opts)))
    first_opt = {id(o): o for o in reversed(opts)}
    combined = kcodes * len(oids) + ocodes
    groups, inverse = np.unique(combined, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(len(groups) + 1))

    # amounts, validated like check_amount (plain int/float fast path)
    raw = list(map(_AMOUNT, reqs))
    amounts: NDArray[np.float64] | None = None
    if set(map(type, raw)) <= {float, int}:
        try:
            amounts = np.fromiter(raw, dtype=np.float64, count=n)
            bad = ~np.isfinite(amounts) | (amounts < 0) | (amounts > MAX_AMOUNT)
        except OverflowError:  # an int beyond float range: take the careful path
            amounts = None
    if amounts is None:
        amounts = np.array([_safe_float(v) for v in raw], dtype=np.float64)
        bad = np.array([not _valid_amount(v) for v in raw], dtype=np.bool_)

    linear: dict[Any, bool] = {}
    for g, code in enumerate(groups.tolist()):
        act, unit, region, year, source = keys[code // len(oids)]
        options = first_opt[oids[code % len(oids)]]
        rows = order[bounds[g] : bounds[g + 1]]
        lin = linear.get(act)
        if lin is None:
            lin = linear[act] = is_linear(act)
        if not lin:
            for i in rows.tolist():
                if out[i] is None:
                    out[i] = _one(reqs[i], reg)
            continue
        try:
            plan = resolve(reg, act, unit, region, year, source, options)
        except CalcError as exc:
            out[rows] = _fill(exc, len(rows))
            continue
        except TypeError:  # unhashable option values: validate row by row (precise errors)
            for i in rows.tolist():
                if out[i] is None:
                    out[i] = _one(reqs[i], reg)
            continue
        a = np.where(bad[rows], 0.0, amounts[rows])
        out[rows] = list(
            map(
                make_result,
                (a * plan.kg_per_unit).tolist(),
                (a * plan.low_per_unit).tolist(),
                (a * plan.high_per_unit).tolist(),
                a.tolist(),
                repeat(plan, len(rows)),
            )
        )
        for i in rows[bad[rows]].tolist():
            try:
                check_amount(raw[i])
            except CalcError as exc:
                out[i] = exc
    for i, err in not_requests.items():  # items that were not requests keep their own error
        out[i] = err
    result: list[EstimateResult | CalcError] = out.tolist()
    return result


def _fill(value: Any, n: int) -> NDArray[np.object_]:
    arr = np.empty(n, dtype=object)
    arr.fill(value)
    return arr


def _valid_amount(v: Any) -> bool:
    try:
        check_amount(v)
    except CalcError:
        return False
    return True


def _one(req: EstimateRequest, reg: Any) -> EstimateResult | CalcError:
    try:
        return estimate(req, factors=reg)
    except CalcError as exc:
        return exc


def _amounts(values: Sequence[Any]) -> tuple[NDArray[np.float64], list[bool]]:
    """Amounts as float64 (0.0 where invalid) and a validity mask (same rules as check_amount)."""
    n = len(values)
    arr = np.zeros(n, dtype=np.float64)
    ok = [True] * n
    simple = all(type(v) is float or type(v) is int for v in values)
    if simple:
        arr = np.asarray(values, dtype=np.float64)
        bad = ~np.isfinite(arr) | (arr < 0) | (arr > MAX_AMOUNT)
        if bad.any():
            for j in np.flatnonzero(bad).tolist():
                ok[j] = False
            arr = np.where(bad, 0.0, arr)
        return arr, ok
    for j, v in enumerate(values):
        try:
            arr[j] = check_amount(v)
        except CalcError:
            ok[j] = False
    return arr, ok


# =============================================================================================
# estimate_columns
# =============================================================================================
@dataclass(frozen=True)
class ColumnarResult:
    """Columnar estimates, rows in input order.

    `co2e_kg`, `low`, `high`: float64 (NaN on error rows); `factor_id` and `error_code`: object
    arrays (None where not applicable). `group[i]` indexes `plans` / `errors` (one per distinct
    key); `row(i)` rebuilds the full `EstimateResult` (or `CalcError`) of one row.
    """

    co2e_kg: NDArray[np.float64]
    low: NDArray[np.float64]
    high: NDArray[np.float64]
    factor_id: NDArray[np.object_]
    error_code: NDArray[np.object_]
    amount: NDArray[np.float64]
    group: NDArray[np.intp]
    plans: tuple[Plan | None, ...]
    errors: tuple[CalcError | None, ...]
    row_errors: dict[int, CalcError] = field(default_factory=dict, repr=False)
    row_results: dict[int, EstimateResult] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return int(self.co2e_kg.shape[0])

    @property
    def ok(self) -> NDArray[np.bool_]:
        return np.array([c is None for c in self.error_code.tolist()], dtype=np.bool_)

    @property
    def error_count(self) -> int:
        return int(len(self) - np.count_nonzero(self.ok))

    def row(self, i: int) -> EstimateResult | CalcError:
        if i in self.row_errors:
            return self.row_errors[i]
        if i in self.row_results:
            return self.row_results[i]
        g = int(self.group[i])
        err = self.errors[g]
        if err is not None:
            return err
        plan = self.plans[g]
        if plan is None:  # pragma: no cover - a group has a plan or an error
            raise CalcError("factor-not-found", f"row {i} has no plan")
        return EstimateResult(
            float(self.co2e_kg[i]),
            float(self.low[i]),
            float(self.high[i]),
            float(self.amount[i]),
            plan,
        )


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, Mapping, np.generic))


def _column(value: Any, n: int, name: str) -> Sequence[Any] | None:
    """None if `value` is a broadcast scalar, else the sequence (length-checked)."""
    if _is_scalar(value):
        return None
    seq = value.tolist() if isinstance(value, np.ndarray) else value
    if len(seq) != n:
        raise ValueError(f"column {name} has {len(seq)} rows, expected {n}")
    return seq


def estimate_columns(
    activity: Sequence[str] | str,
    amount: NDArray[np.float64] | Sequence[float],
    unit: Sequence[str] | str,
    region: Sequence[str | None] | str | None = None,
    year: Sequence[int | None] | int | None = None,
    source: Sequence[str | None] | str | None = None,
    options: Sequence[Mapping[str, Any] | None] | Mapping[str, Any] | None = None,
    *,
    factors: Any = None,
) -> ColumnarResult:
    """Estimate a table of rows given as columns (any column but `amount` may be one scalar
    broadcast to all rows). Returns numpy arrays; row errors are codes, never exceptions.

    Distinct keys are found with a dict over row tuples, each resolved once (plan cache), and
    the per-row work is `amount * per_unit[group]` in numpy."""
    n_rows = len(amount)
    paused = n_rows >= _GC_PAUSE_MIN and gc.isenabled()
    if paused:
        gc.disable()
    try:
        return _estimate_columns(activity, amount, unit, region, year, source, options, factors)
    finally:
        if paused:
            gc.enable()


def _estimate_columns(
    activity: Any,
    amount: Any,
    unit: Any,
    region: Any,
    year: Any,
    source: Any,
    options: Any,
    factors: Any,
) -> ColumnarResult:
    reg = factors if factors is not None else default_factors()
    amt_raw: Any = amount
    if isinstance(amount, np.ndarray) and amount.dtype.kind in "fiu":
        amt = amount.astype(np.float64, copy=False)
        amt_ok_types = True
    else:
        values = amount.tolist() if isinstance(amount, np.ndarray) else list(amount)
        amt_raw = values
        amt_ok_types = all(type(v) is float or type(v) is int for v in values)
        if amt_ok_types:
            try:
                amt = np.asarray(values, dtype=np.float64)
            except OverflowError:
                amt_ok_types = False
        if not amt_ok_types:
            amt = np.array([_safe_float(x) for x in values], dtype=np.float64)
    if amt.ndim != 1:
        raise ValueError("amount must be one-dimensional")
    n = int(amt.shape[0])

    given = {
        "activity": activity,
        "unit": unit,
        "region": region,
        "year": year,
        "source": source,
        "options": options,
    }
    consts: dict[str, Any] = {}
    var_names: list[str] = []
    var_cols: list[Sequence[Any]] = []
    opt_objs: dict[int, Any] = {}
    for name in _FIELDS:
        col = _column(given[name], n, name)
        if col is None:
            consts[name] = given[name]
            continue
        if name == "options":
            # factorise option mappings by identity first (rows often share one object)
            ids = [id(o) for o in col]
            for o in col:
                opt_objs.setdefault(id(o), o)
            col = ids
        var_names.append(name)
        var_cols.append(col)

    if not var_cols:
        keys: Sequence[Any] = [()] * n
    elif len(var_cols) == 1:
        keys = var_cols[0]
    else:
        keys = list(zip(*var_cols, strict=True))
    index: dict[Any, int] = {k: i for i, k in enumerate(dict.fromkeys(keys))}
    codes = np.fromiter(map(index.__getitem__, keys), dtype=np.intp, count=n)
    n_groups = len(index)

    kg = np.full(n_groups, np.nan)
    lo = np.full(n_groups, np.nan)
    hi = np.full(n_groups, np.nan)
    g_factor = np.empty(n_groups, dtype=object)
    g_error = np.empty(n_groups, dtype=object)
    plans: list[Plan | None] = [None] * n_groups
    errors: list[CalcError | None] = [None] * n_groups
    nonlinear: list[int] = []
    for k, gi in index.items():
        vals = dict(consts)
        parts = (k,) if len(var_cols) == 1 else k
        for name, v in zip(var_names, parts, strict=True):
            vals[name] = opt_objs[v] if name == "options" else v
        if not is_linear(vals["activity"]):
            nonlinear.append(gi)
            continue
        try:
            plan = resolve(
                reg,
                vals["activity"],
                vals["unit"],
                vals["region"],
                vals["year"],
                vals["source"],
                vals["options"],
            )
        except CalcError as exc:
            errors[gi] = exc
            g_error[gi] = exc.code
            continue
        except TypeError:
            try:
                estimate(
                    EstimateRequest(
                        vals["activity"],
                        0.0,
                        vals["unit"],
                        vals["region"],
                        vals["year"],
                        vals["source"],
                        vals["options"],
                    ),
                    factors=reg,
                )
            except CalcError as exc:
                errors[gi] = exc
                g_error[gi] = exc.code
            continue
        plans[gi] = plan
        kg[gi], lo[gi], hi[gi] = plan.kg_per_unit, plan.low_per_unit, plan.high_per_unit
        g_factor[gi] = plan.factor.id

    co2 = amt * kg[codes]
    low = amt * lo[codes]
    high = amt * hi[codes]
    factor_id = g_factor[codes]
    error_code = g_error[codes]

    bad_amount = ~np.isfinite(amt) | (amt < 0) | (amt > MAX_AMOUNT)
    row_errors: dict[int, CalcError] = {}
    if not amt_ok_types:
        for i, v in enumerate(amt_raw):
            if not bad_amount[i]:
                try:
                    check_amount(v)
                except CalcError:
                    bad_amount[i] = True
    if bad_amount.any():
        # plan errors take precedence (as in estimate()), then the amount error
        flag = bad_amount & np.array([c is None for c in error_code.tolist()], dtype=np.bool_)
        if flag.any():
            idx = np.flatnonzero(flag)
            co2[idx] = low[idx] = high[idx] = np.nan
            factor_id[idx] = None
            error_code[idx] = INVALID_AMOUNT
            for i in idx.tolist():
                try:
                    check_amount(
                        amt_raw[i] if not isinstance(amt_raw, np.ndarray) else float(amt[i])
                    )
                except CalcError as exc:
                    row_errors[i] = exc

    row_results: dict[int, EstimateResult] = {}
    if nonlinear:
        rows = np.flatnonzero(np.isin(codes, np.asarray(nonlinear, dtype=np.intp)))
        for i in rows.tolist():
            vals = dict(consts)
            for name, col in zip(var_names, var_cols, strict=True):
                vals[name] = opt_objs[col[i]] if name == "options" else col[i]
            a = amt_raw[i] if not isinstance(amt_raw, np.ndarray) else float(amt[i])
            res = _one(
                EstimateRequest(
                    vals["activity"],
                    a,
                    vals["unit"],
                    vals["region"],
                    vals["year"],
                    vals["source"],
                    vals["options"] or {},
                ),
                reg,
            )
            if isinstance(res, CalcError):
                row_errors[i] = res
                co2[i] = low[i] = high[i] = np.nan
                factor_id[i] = None
                error_code[i] = res.code
            else:
                row_results[i] = res
                co2[i], low[i], high[i] = res.co2e_kg, res.low, res.high
                factor_id[i] = res.factor.id
                error_code[i] = None

    return ColumnarResult(
        co2e_kg=co2,
        low=low,
        high=high,
        factor_id=factor_id,
        error_code=error_code,
        amount=amt,
        group=codes,
        plans=tuple(plans),
        errors=tuple(errors),
        row_errors=row_errors,
        row_results=row_results,
    )


def _safe_float(x: Any) -> float:
    if isinstance(x, bool):
        return math.nan
    try:
        return float(x)
    except (TypeError, ValueError, OverflowError):
        return math.nan
