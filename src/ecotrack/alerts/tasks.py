"""Alert jobs: evaluate one organisation's alerts (after an ingest), and all on a schedule."""

from __future__ import annotations

import logging
from datetime import date

from ecotrack.alerts.service import alerts_service
from ecotrack.core.db import get_database, utcnow
from ecotrack.core.jobs import task

logger = logging.getLogger("ecotrack.alerts")

EVALUATE_EVERY_S = 300.0


@task("alerts.evaluate")
def evaluate(org_id: int, days: list[str] | None = None) -> int:
    """Evaluate the organisation's enabled alerts (and the recently ended windows holding
    `days`, ISO dates of late events); returns how many fired."""
    with get_database().unit_of_work() as session:
        results = alerts_service.evaluate_org(
            session,
            org_id=org_id,
            now=utcnow(),
            days=[date.fromisoformat(d) for d in days or ()],
        )
        return sum(1 for r in results if r.fired)


@task("alerts.evaluate_all", every_s=EVALUATE_EVERY_S)
def evaluate_all() -> int:
    """Evaluate every organisation with enabled alerts, each in its own transaction (one
    organisation's failure does not hold the others back). Returns how many fired."""
    db = get_database()
    with db.unit_of_work() as session:
        org_ids = alerts_service.orgs_to_evaluate(session)
    fired = 0
    for org_id in org_ids:
        try:
            fired += evaluate(org_id)
        except Exception:
            logger.exception("evaluating the alerts of organisation %s failed", org_id)
    return fired
