"""The activity vocabulary: what can be estimated, in which units, with which options.

`list_activities()` is what `GET /api/v1/activities` returns. Each activity has a name, a
category (electricity, transportation, heating, waste, lifestyle, other), accepted units,
options (type, choices, default), the datasets it can use, the default dataset by region, a
description and a methodology id (section of docs/methodology.md).

Families: `activities_energy` (electricity, fuels), `activities_transport` (car ... flight),
`activities_other` (waste, water, hotel_stay, spend, diet, cloud_compute) and `llm_inference`
(adapter over `ecotrack.calc.llm`, see `activities_llm`).
"""

from __future__ import annotations

from typing import Any

from ecotrack.calc import activities_energy, activities_llm, activities_other, activities_transport
from ecotrack.calc._base import CATEGORIES, ActivitySpec, OptionSpec
from ecotrack.calc.errors import UNKNOWN_ACTIVITY, CalcError

ACTIVITIES: dict[str, ActivitySpec] = {
    spec.name: spec
    for spec in (
        *activities_energy.SPECS,
        *activities_transport.SPECS,
        *activities_other.SPECS,
        *activities_llm.SPECS,
    )
}
for _spec in ACTIVITIES.values():
    if _spec.category not in CATEGORIES:  # pragma: no cover - guards the vocabulary's shape
        raise ValueError(f"activity {_spec.name}: unknown category {_spec.category!r}")


def get_activity(name: Any) -> ActivitySpec:
    """The spec of an activity; raises `unknown-activity` listing the vocabulary."""
    spec = ACTIVITIES.get(name) if isinstance(name, str) else None
    if spec is None:
        key = (
            name.strip().lower().replace("-", "_").replace(" ", "_")
            if isinstance(name, str)
            else ""
        )
        spec = ACTIVITIES.get(key)
    if spec is None:
        raise CalcError(
            UNKNOWN_ACTIVITY,
            f"unknown activity {name!r}; known: {', '.join(sorted(ACTIVITIES))}",
            loc=["activity"],
        )
    return spec


def list_activities() -> list[dict[str, Any]]:
    """The vocabulary as JSON-ready dicts, ordered by category then name."""
    order = {c: i for i, c in enumerate(CATEGORIES)}
    specs = sorted(ACTIVITIES.values(), key=lambda s: (order[s.category], s.name))
    return [s.to_dict() for s in specs]


__all__ = ["ACTIVITIES", "ActivitySpec", "OptionSpec", "get_activity", "list_activities"]
