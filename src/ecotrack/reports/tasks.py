"""Report jobs: generate one report, expire old files, run the monthly schedules."""

from __future__ import annotations

import logging

from ecotrack.core.db import get_database, utcnow
from ecotrack.core.jobs import task
from ecotrack.core.settings import get_settings
from ecotrack.reports.service import GENERATE_TASK, reports_service

logger = logging.getLogger("ecotrack.reports")


@task(GENERATE_TASK, max_attempts=3)
def generate(report_id: int) -> bool:
    """Build the report's file. Idempotent: only a pending report is claimed; a failure marks
    the report failed (with the reason) instead of retrying a job the user can simply repeat."""
    db = get_database()
    settings = get_settings()
    with db.unit_of_work() as session:
        spec = reports_service.claim(session, report_id=report_id)
    if spec is None:
        return False

    def progress(percent: int) -> None:
        with db.unit_of_work() as session:
            reports_service.set_progress(session, report_id=report_id, progress=percent)

    try:
        path = reports_service.write_file(
            spec, scope=db.unit_of_work, settings=settings, progress=progress
        )
    except Exception as exc:
        logger.exception("report %s failed", report_id)
        with db.unit_of_work() as session:
            reports_service.fail(
                session,
                report_id=report_id,
                error=f"{type(exc).__name__}: {exc}",
                settings=settings,
            )
        return False
    with db.unit_of_work() as session:
        reports_service.finish(session, report_id=report_id, path=path, settings=settings)
    return True


@task("reports.expire", every_s=3600)
def expire() -> int:
    with get_database().unit_of_work() as session:
        return reports_service.expire(session, settings=get_settings())


@task("reports.run_schedules", every_s=3600)
def run_schedules() -> int:
    with get_database().unit_of_work() as session:
        return reports_service.run_schedules(
            session, today=utcnow().date(), settings=get_settings()
        )
