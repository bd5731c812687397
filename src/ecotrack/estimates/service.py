"""Estimates over HTTP and the CLI: the engine's results, factors and vocabulary as JSON.

No database: the engine and the factor library are pure. An organisation's overrides (its own
factors and custom models) are passed to the engine as `factors=` / `catalogue=` views.
"""

from __future__ import annotations

import gc
import math
from typing import Any

import numpy as np

from ecotrack.calc import CalcError, EstimateRequest, estimate, estimate_columns, list_activities
from ecotrack.core.errors import AppError, NotFoundError
from ecotrack.factors.registry import FactorNotFound, get_registry
from ecotrack.factors.types import Factor, Source

ITEM_FIELDS = frozenset({"activity", "amount", "unit", "region", "year", "source", "options"})


class EstimateError(AppError):
    """An estimate the engine refuses (unknown activity, unit not accepted, bad option …)."""

    status_code = 422

    @classmethod
    def from_calc(cls, exc: CalcError) -> EstimateError:
        errors = [
            {"loc": ["body", *e.get("loc", [])], "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors
        ]
        return cls(exc.detail, code=exc.code, errors=errors or None)


def factor_to_dict(factor: Factor, source: Source | None = None) -> dict[str, Any]:
    return {
        "id": factor.id,
        "name": factor.name,
        "value": factor.value,
        "unit": factor.unit,
        "per_unit": factor.per_unit,
        "source_id": factor.source_id,
        "dataset": source.dataset if source else None,
        "edition": source.edition if source else None,
        "year": factor.year,
        "region": factor.region,
        "licence": source.licence if source else None,
        "attribution": source.attribution if source else None,
        "url": source.url if source else None,
        "gwp_set": factor.gwp_set,
        "scope": factor.scope,
        "reference": factor.reference,
        "gases": dict(factor.gases) or None,
        "tags": list(factor.tags),
    }


def source_to_dict(source: Source) -> dict[str, Any]:
    return {
        "id": source.id,
        "dataset": source.dataset,
        "name": source.name,
        "publisher": source.publisher,
        "edition": source.edition,
        "year": source.year,
        "licence": source.licence,
        "attribution": source.attribution,
        "url": source.url,
        "gwp_set": source.gwp_set,
        "notes": source.notes,
    }


def _item_error(
    code: str, detail: str, errors: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {"code": code, "detail": detail, "errors": errors or []}


class EstimateService:
    def estimate_one(self, *, request_in: dict[str, Any], factors: Any = None) -> dict[str, Any]:
        try:
            result = estimate(EstimateRequest.from_dict(request_in), factors=factors)
        except CalcError as exc:
            raise EstimateError.from_calc(exc) from exc
        return result.to_dict()

    def estimate_many(
        self, *, items: list[Any], explain: bool = False, factors: Any = None
    ) -> dict[str, Any]:
        # Building 10,000 small result dicts triggers the cyclic GC over the whole heap (the
        # factor tables are large); nothing here makes cycles, so pause it for big batches.
        paused = len(items) >= 1000 and gc.isenabled()
        if paused:
            gc.disable()
        try:
            return self._estimate_many(items, explain, factors)
        finally:
            if paused:
                gc.enable()

    def _estimate_many(self, items: list[Any], explain: bool, factors: Any) -> dict[str, Any]:
        """Estimate `items` in order; each answers a result or its own error.

        Items are checked for shape here, then computed column-wise by the engine, which resolves
        each distinct (activity, unit, region, year, source, options) once and multiplies arrays.
        """
        n = len(items)
        pre_errors: dict[int, dict[str, Any]] = {}
        activity: list[Any] = [None] * n
        unit: list[Any] = [None] * n
        region: list[Any] = [None] * n
        year: list[Any] = [None] * n
        source: list[Any] = [None] * n
        options: list[Any] = [None] * n
        amount = np.zeros(n, dtype=np.float64)
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                pre_errors[i] = _item_error("invalid-item", "Each item must be a JSON object")
                continue
            extra = item.keys() - ITEM_FIELDS
            if extra:
                names = sorted(map(str, extra))
                pre_errors[i] = _item_error(
                    "invalid-item",
                    f"Unknown field(s): {', '.join(names)}",
                    [{"loc": [k], "msg": "Extra field", "type": "extra_forbidden"} for k in names],
                )
                continue
            value = item.get("amount")
            if isinstance(value, bool) or not isinstance(value, int | float):
                pre_errors[i] = _item_error(
                    "invalid-amount",
                    "amount must be a number",
                    [{"loc": ["amount"], "msg": "Input should be a number", "type": "float_type"}],
                )
                continue
            options_value = item.get("options")
            if options_value is not None and not isinstance(options_value, dict):
                pre_errors[i] = _item_error(
                    "invalid-option",
                    "options must be an object",
                    [{"loc": ["options"], "msg": "Input should be an object", "type": "dict_type"}],
                )
                continue
            amount[i] = float(value)
            activity[i] = item.get("activity")
            unit[i] = item.get("unit")
            region[i] = item.get("region")
            year[i] = item.get("year")
            source[i] = item.get("source")
            options[i] = options_value
        columns = estimate_columns(
            activity, amount, unit, region, year, source, options, factors=factors
        )
        co2e = columns.co2e_kg.tolist()
        low = columns.low.tolist()
        high = columns.high.tolist()
        factor_id = columns.factor_id.tolist()
        codes = columns.error_code.tolist()
        groups = columns.group.tolist()
        plan_warnings = [list(p.warnings) if p is not None else [] for p in columns.plans]
        results: list[dict[str, Any]] = []
        total = 0.0
        failed = 0
        for i in range(n):
            if i in pre_errors:
                failed += 1
                results.append({"index": i, "ok": False, "error": pre_errors[i]})
                continue
            if codes[i] is not None:
                failed += 1
                error = columns.row(i)
                assert isinstance(error, CalcError)  # noqa: S101 - engine contract
                results.append(
                    {
                        "index": i,
                        "ok": False,
                        "error": _item_error(error.code, error.detail, error.errors),
                    }
                )
                continue
            total += co2e[i]
            if explain:
                row = columns.row(i)
                entry: dict[str, Any] = {
                    "index": i, "ok": True, "co2e_kg": co2e[i], "low": low[i], "high": high[i],
                    "factor_id": factor_id[i], "warnings": list(row.warnings),  # type: ignore[union-attr]
                    "result": row.to_dict(),
                }  # fmt: skip
            else:
                warnings = (
                    columns.row(i).warnings  # type: ignore[union-attr]
                    if i in columns.row_results
                    else plan_warnings[groups[i]]
                )
                entry = {
                    "index": i, "ok": True, "co2e_kg": co2e[i], "low": low[i], "high": high[i],
                    "factor_id": factor_id[i], "warnings": list(warnings),
                }  # fmt: skip
            results.append(entry)
        return {
            "count": n,
            "succeeded": n - failed,
            "failed": failed,
            "total_co2e_kg": total if math.isfinite(total) else 0.0,
            "results": results,
        }

    # --- factors and vocabulary ---------------------------------------------------------

    def activity_types(self) -> list[dict[str, Any]]:
        return list_activities()

    def search_factors(
        self,
        *,
        text: str | None,
        source: str | None,
        year: int | None,
        region: str | None,
        activity: str | None,
        scope: str | None,
        limit: int,
        offset: int,
    ) -> tuple[list[dict[str, Any]], int]:
        registry = get_registry()
        factors, total = registry.search(
            text,
            source=source,
            year=year,
            region=region,
            scope=scope,
            activity=activity,
            limit=limit,
            offset=offset,
        )
        return [self._factor(f) for f in factors], total

    def get_factor(self, *, factor_id: str) -> dict[str, Any]:
        try:
            factor = get_registry().get(factor_id)
        except FactorNotFound as exc:
            raise NotFoundError(
                f"No factor with id {factor_id!r}", code="factor-not-found"
            ) from exc
        return self._factor(factor)

    def sources(self) -> list[dict[str, Any]]:
        return [source_to_dict(s) for s in get_registry().sources()]

    @staticmethod
    def _factor(factor: Factor) -> dict[str, Any]:
        registry = get_registry()
        try:
            source = registry.source(factor.source_id)
        except KeyError:
            source = None
        return factor_to_dict(factor, source)


estimate_service = EstimateService()
