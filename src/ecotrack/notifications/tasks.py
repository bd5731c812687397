"""`notifications.prune`: delete read notifications older than the retention (daily)."""

from __future__ import annotations

from ecotrack.core.db import get_database
from ecotrack.core.jobs import task
from ecotrack.notifications.service import notifications_service

READ_RETENTION_DAYS = 180


@task("notifications.prune", every_s=24 * 3600)
def prune() -> int:
    with get_database().unit_of_work() as session:
        return notifications_service.prune(session, older_than_days=READ_RETENTION_DAYS)
