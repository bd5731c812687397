"""`activities.recalc`: recompute every activity with the current factor editions."""

from __future__ import annotations

from ecotrack.activities.recalc import recalc_service
from ecotrack.core.db import get_database
from ecotrack.core.jobs import task


@task("activities.recalc", max_attempts=3)
def recalc(run_id: int) -> int:
    """Drive recalculation run `run_id` to the end (resumes from its cursor); returns how many
    activities changed."""
    return recalc_service.run(get_database(), run_id=run_id).changed
