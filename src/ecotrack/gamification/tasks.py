"""`gamification.settle_challenges`: settle challenges whose window is over (hourly)."""

from __future__ import annotations

from ecotrack.core.db import get_database
from ecotrack.core.jobs import task
from ecotrack.gamification.service import gamification_service


@task("gamification.settle_challenges", every_s=3600)
def settle_challenges() -> int:
    with get_database().unit_of_work() as session:
        return gamification_service.settle_challenges(session)
