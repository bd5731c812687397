"""Run the durable job table's due jobs in the test's own process and transaction (the test apps
are built with `run_jobs=False`: what `serve`'s runner would do a moment after the commit)."""

from __future__ import annotations

from sqlalchemy import select, update

from ecotrack.core.db import get_database, utcnow
from ecotrack.core.jobs import JobRecord, run_task


def run_jobs_named(*names: str) -> list[str]:
    """Run every pending job called one of `names`, oldest first, raising any task's error;
    returns the names run. Other jobs stay queued."""
    db = get_database()
    ran: list[str] = []
    while True:
        with db.session_factory() as session, session.begin():
            job = session.execute(
                select(JobRecord)
                .where(JobRecord.status == "pending", JobRecord.name.in_(names))
                .order_by(JobRecord.id)
                .limit(1)
            ).scalar_one_or_none()
            if job is None:
                return ran
            job_id, name, args, kwargs = job.id, job.name, list(job.args), dict(job.kwargs)
            session.execute(
                update(JobRecord).where(JobRecord.id == job_id).values(status="running")
            )
        run_task(name, args, kwargs)
        with db.session_factory() as session, session.begin():
            session.execute(
                update(JobRecord)
                .where(JobRecord.id == job_id)
                .values(status="done", finished_at=utcnow())
            )
        ran.append(name)
