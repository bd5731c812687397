"""System tasks: the probe that proves jobs run, and housekeeping of the job table."""

from __future__ import annotations

from ecotrack.core.db import get_database
from ecotrack.core.jobs import task
from ecotrack.core.settings import get_settings
from ecotrack.system.service import system_service


@task("system.probe")
def probe(token: str) -> int:
    with get_database().unit_of_work() as session:
        return system_service.run_probe(session, token=token).runs


@task("system.prune_jobs", every_s=3600)
def prune_jobs() -> int:
    with get_database().unit_of_work() as session:
        return system_service.prune_jobs(session, keep_days=get_settings().jobs_history_days)
