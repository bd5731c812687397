"""EcoTrack calculation engine: activity amounts -> kg CO2e, with the factor and every step.

Pure functions (no DB, no HTTP): the engine reads factors from `ecotrack.factors` (the process-
wide registry, or an organisation's override view passed as `factors=`).

    from ecotrack.calc import EstimateRequest, estimate
    r = estimate(EstimateRequest("electricity", 3000, "kWh", region="GB", year=2024))
    r.co2e_kg, r.factor.id, [s.text for s in r.explanation]

- `estimate(request, *, factors=None) -> EstimateResult` (raises `CalcError`);
- `estimate_batch(requests, *, factors=None) -> list[EstimateResult | CalcError]`;
- `estimate_columns(activity, amount, unit, region=..., ...) -> ColumnarResult` (numpy, fast);
- `list_activities()` — the vocabulary (GET /api/v1/activities).

Methodology: docs/methodology.md (and docs/methodology-llm.md for `llm_inference`).
"""

from __future__ import annotations

from ecotrack.calc.activities import ACTIVITIES, get_activity, list_activities
from ecotrack.calc.batch import ColumnarResult, estimate_batch, estimate_columns
from ecotrack.calc.engine import clear_caches, estimate
from ecotrack.calc.errors import CODES, CalcError
from ecotrack.calc.types import (
    EstimateRequest,
    EstimateResult,
    FactorRef,
    Plan,
    Range,
    Step,
)

__all__ = [
    "ACTIVITIES",
    "CODES",
    "CalcError",
    "ColumnarResult",
    "EstimateRequest",
    "EstimateResult",
    "FactorRef",
    "Plan",
    "Range",
    "Step",
    "clear_caches",
    "estimate",
    "estimate_batch",
    "estimate_columns",
    "get_activity",
    "list_activities",
]
