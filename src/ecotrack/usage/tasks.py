"""Usage jobs: re-enrichment, rollup repair, retention and PostgreSQL partitions ahead."""

from __future__ import annotations

from datetime import date
from typing import Any

from ecotrack.core.db import get_database
from ecotrack.core.jobs import task
from ecotrack.core.settings import get_settings
from ecotrack.usage.service import usage_service


@task("usage.reenrich")
def reenrich(org_id: int, model: str | None = None) -> int:
    """Enrich again an organisation's events of unknown impact (after it registered a model)."""
    with get_database().unit_of_work() as session:
        return usage_service.reenrich(session, org_id=org_id, model=model, settings=get_settings())


@task("usage.rebuild_rollups")
def rebuild_rollups(org_id: int, start: str, end: str) -> None:
    """Rewrite the rollups of days [start, end] (ISO dates) from the raw events."""
    with get_database().unit_of_work() as session:
        usage_service.rebuild_rollups(
            session, org_id=org_id, start=date.fromisoformat(start), end=date.fromisoformat(end)
        )


@task("usage.apply_retention", every_s=86_400)
def apply_retention() -> dict[str, Any]:
    with get_database().unit_of_work() as session:
        result = usage_service.apply_retention(session, settings=get_settings())
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in result.items()}


@task("usage.ensure_partitions", every_s=3_600)
def ensure_partitions() -> list[str]:
    """PostgreSQL: this month's partition of usage_event and the next ones (SQLite: nothing)."""
    with get_database().unit_of_work() as session:
        return usage_service.ensure_partitions(session, settings=get_settings())
