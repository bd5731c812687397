"""`goals.evaluate`: re-evaluate a user's open goals (after a bulk change, or by an operator).

Goals are normally evaluated synchronously on `activity.changed`; this job is the re-runnable
form (idempotent: an achieved goal is never evaluated, nor announced, twice).
"""

from __future__ import annotations

from ecotrack.core.db import get_database
from ecotrack.core.jobs import task
from ecotrack.goals.service import goals_service


@task("goals.evaluate")
def evaluate(user_id: int) -> list[int]:
    with get_database().unit_of_work() as session:
        return goals_service.evaluate_user(session, user_id=user_id)
